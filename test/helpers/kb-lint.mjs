// Validate kb/ against the schema and cross-references (run `npm run build` first).
// Usage: node test/helpers/kb-lint.mjs [--ignore-missing-related]
const {loadKnowledgeBase} = await import('../../dist/src/kb/load.js')
const {checkIds} = await import('../../dist/src/engine/registry.js')
const lenient = process.argv.includes('--ignore-missing-related')
try {
  const kb = loadKnowledgeBase(undefined, {checkIds: checkIds()})
  console.log(`${kb.entries.length} entries, ${kb.products.length} products: OK`)
} catch (error) {
  const details = (error.details ?? []).filter((d) => !(lenient && /unknown entry "/.test(d)))
  if (details.length === 0 && lenient) {
    console.log('OK apart from related: ids that other files will define')
  } else {
    console.log(error.message)
    console.log(details.join('\n'))
    process.exit(1)
  }
}
