import {describe, expect, it} from 'vitest'
import {allChecks} from '../../src/engine/registry.js'
import {PLACEHOLDER, placeholdersIn} from '../../src/kb/fill.js'
import {openKnowledgeBase} from '../../src/kb/kb.js'
import {type CauseTemplate} from '../../src/kb/load.js'
import {stepObject} from '../../src/kb/schema.js'

/**
 * Cause text lives only in the knowledge base: a check returns `{kb, vars}`, the KB holds the
 * summary, fix and verify steps with `{{placeholders}}`. These tests prove every reference a
 * check can return has text, and every placeholder can be filled from what the check declares.
 */
const kb = openKnowledgeBase()
const checks = allChecks()

/** Checks that still write their own cause text; each moves its words to the KB and leaves this list. */
const LEGACY = new Set<string>([
  'agent-heartbeat',
  'api-token',
  'audit-log',
  'billing-status',
  'clock-skew',
  'entitlement',
  'evidence-freshness',
  'gitops-status',
  'kubernetes-workload',
  'login-redirect-loop',
  'oidc-discovery',
  'oidc-redirect-uri',
  'pipeline-mode',
  'prometheus-labels',
  'readiness',
  'session-cookie',
  'upstream-proxy',
  'viewport-overflow',
  'webhook-signature',
])

const texts = (t: CauseTemplate): string[] =>
  [t.summary, ...t.fix, ...t.verify].flatMap((s) => {
    const o = typeof s === 'string' ? {text: s} : stepObject(s)
    return [o.text, o.command ?? '', o.expect ?? '']
  })

describe('cause text lives in the knowledge base', () => {
  it("every reference a converted check can return has text: a cause, or the entry's undetermined block", () => {
    const missing = checks
      .filter((c) => !LEGACY.has(c.meta.id))
      .flatMap((c) => c.meta.kb.filter((ref) => !kb.template(ref)).map((ref) => `${c.meta.id} → ${ref}`))
    expect(missing).toEqual([])
  })

  it('every placeholder without docs words is declared by each check that returns the reference, and no check declares a value the text does not use', () => {
    const problems: string[] = []
    for (const check of checks) {
      for (const ref of check.meta.kb) {
        const template = kb.template(ref)
        if (!template) continue
        const used = texts(template).flatMap(placeholdersIn)
        const declared = new Set([...(check.meta.vars?.[ref] ?? []), ...(check.meta.vars?.['*'] ?? [])])
        for (const p of used)
          if (p.fallback === undefined && !declared.has(p.name))
            problems.push(`${ref}: {{${p.name}}} has no docs words and ${check.meta.id} does not declare it`)
        for (const name of check.meta.vars?.[ref] ?? [])
          if (!used.some((p) => p.name === name))
            problems.push(`${check.meta.id} declares ${name} for ${ref}, which its text does not use`)
      }
    }
    expect(problems).toEqual([])
  })

  it('no malformed placeholder: {{ followed by a name is always a whole {{name}} or {{name|words}}', () => {
    const bad: string[] = []
    for (const entry of kb.entries) {
      if (entry.kind !== 'symptom') continue
      const refs = [entry.id, ...entry.causes.map((c) => `${entry.id}#${c.id}`)]
      for (const ref of refs) {
        const t = kb.template(ref)
        if (!t) continue
        for (const text of texts(t)) if (/\{\{[a-zA-Z]/.test(text.replace(PLACEHOLDER, ''))) bad.push(`${ref}: ${text}`)
      }
    }
    expect(bad).toEqual([])
  })

  it('the docs show placeholders as their words, never as {{…}}', () => {
    const shown = JSON.stringify(kb.entries)
    expect(shown).not.toMatch(/\{\{[a-zA-Z][a-zA-Z0-9]*(\|[^{}]*)?\}\}/)
  })
})
