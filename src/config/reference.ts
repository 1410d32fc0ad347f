import {configJsonSchema} from './schema.js'

interface Node {
  type?: string | string[]
  description?: string
  writeOnly?: boolean
  properties?: Record<string, Node>
  required?: string[]
  items?: Node
  anyOf?: Node[]
  additionalProperties?: Node | boolean
  minimum?: number
  maximum?: number
  enum?: unknown[]
}

function typeOf(n: Node): string {
  if (n.enum) return n.enum.map((v) => JSON.stringify(v)).join(' \\| ')
  if (n.anyOf) return n.anyOf.map(typeOf).join(' or ')
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'any'}`
  if (n.type === 'object' && n.additionalProperties && typeof n.additionalProperties === 'object')
    return `map of ${typeOf(n.additionalProperties)}`
  if (n.type === 'object') return 'mapping'
  return String(n.type ?? 'any')
}

/** The README's config reference, generated from the JSON Schema so the two cannot drift. */
export function configReference(checkIds: readonly string[]): string {
  const schema = configJsonSchema(checkIds) as Node
  const rows: string[] = ['| Key | Type | Description |', '|---|---|---|']
  const walk = (node: Node, path: string, required: boolean) => {
    if (path && path !== '$schema') {
      const secret =
        node.writeOnly || (node.additionalProperties as Node | undefined)?.writeOnly
          ? ' Secret: redacted in all output.'
          : ''
      rows.push(
        `| \`${path}\` | ${typeOf(node)}${required ? ' (required)' : ''} | ${(node.description ?? '').replace(/\|/g, '\\|')}${secret} |`,
      )
    }
    const objectVariant =
      node.anyOf?.find((v) => v.type === 'object') ?? node.items?.anyOf?.find((v) => v.type === 'object')
    const props = node.properties ?? objectVariant?.properties
    if (!props || path === 'checks') return
    const req = node.properties ? (node.required ?? []) : (objectVariant?.required ?? [])
    const prefix = path ? `${path}${node.items ? '[]' : ''}.` : ''
    for (const [key, child] of Object.entries(props)) walk(child, `${prefix}${key}`, req.includes(key))
  }
  walk(schema, '', false)
  rows.push(
    `| \`checks.<id>.enabled\` | boolean | \`false\` skips that check in \`doctor all\` (ids: ${checkIds.map((id) => `\`${id}\``).join(', ')}). |`,
  )
  rows.push(
    '| `checks.<id>.severity` | "warn" \\| "fail" | Cap the severity of that check\'s findings, e.g. `warn` to report without failing CI. |',
  )
  rows.push(
    '| `checks.<id>.timeout` | duration | Time limit for that check, e.g. `45s` (default 10s, or what the check needs when that is more; wins over `--check-timeout`). |',
  )
  return rows.join('\n')
}
