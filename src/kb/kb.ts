import {checkIds} from '../engine/registry.js'
import {didYouMean} from '../util/suggest.js'
import {type KnowledgeBase, loadKnowledgeBase} from './load.js'
import type {Cause, Entry, Retired} from './schema.js'
import {buildIndex, type SearchDoc, type SearchIndex} from './search.js'

export type {KnowledgeBase} from './load.js'

/** The shipped knowledge base (or the one in `dir`), checked against the registered checks. */
export function openKnowledgeBase(dir?: string): KnowledgeBase {
  // Only the bundled knowledge base is cached; a --kb folder is being edited, so read it fresh.
  return loadKnowledgeBase(dir, {checkIds: checkIds(), cache: dir === undefined})
}

export function searchDocs(kb: KnowledgeBase): SearchDoc[] {
  return kb.entries.map((entry) => {
    const phrases: SearchDoc['phrases'] = [
      ...entry.strings.map((text) => ({text, field: 'string' as const})),
      {text: entry.title, field: 'title' as const},
      {text: entry.id.replace(/-/g, ' '), field: 'id' as const},
      ...entry.keywords.map((text) => ({text, field: 'keyword' as const})),
      ...entry.products.flatMap((p) => p.covers.map((text) => ({text, field: 'title' as const}))),
    ]
    const body = [entry.summary, ...entry.products.map((p) => p.details ?? '')]
    if (entry.kind === 'symptom') {
      for (const cause of entry.causes) {
        phrases.push(...cause.strings.map((text) => ({text, field: 'string' as const, cause: cause.id})))
        phrases.push({text: cause.summary, field: 'cause' as const, cause: cause.id})
        body.push(cause.explanation)
      }
    } else {
      for (const section of entry.sections) {
        phrases.push({text: section.title, field: 'keyword' as const})
        if (section.intro) body.push(section.intro)
      }
    }
    return {id: entry.id, title: entry.title, phrases, body: body.join('\n')}
  })
}

const indexes = new WeakMap<KnowledgeBase, SearchIndex>()
export function searchIndex(kb: KnowledgeBase): SearchIndex {
  let index = indexes.get(kb)
  if (!index) {
    index = buildIndex(searchDocs(kb))
    indexes.set(kb, index)
  }
  return index
}

export type Resolved =
  | {kind: 'entry'; entry: Entry; cause?: Cause; retired?: Retired}
  | {kind: 'unknown-cause'; entry: Entry; cause: string}
  | {kind: 'none'; suggestion: string}

/** "entry-id", "entry-id#cause-id", or a retired id (resolved to its replacement). */
export function resolveRef(kb: KnowledgeBase, ref: string): Resolved {
  const [entryId, causeId] = ref.trim().split('#')
  let entry = kb.entry(entryId)
  let retired: Retired | undefined
  let cause = causeId
  if (!entry) {
    retired = kb.retired.find((r) => r.id === entryId)
    if (retired) {
      const [target, targetCause] = retired.replacedBy.split('#')
      entry = kb.entry(target)
      cause = cause ?? targetCause
    }
  }
  if (!entry)
    return {
      kind: 'none',
      suggestion: didYouMean(
        entryId,
        kb.entries.map((e) => e.id),
      ),
    }
  if (cause === undefined) return {kind: 'entry', entry, ...(retired ? {retired} : {})}
  const found = entry.kind === 'symptom' ? entry.causes.find((c) => c.id === cause) : undefined
  if (!found) return {kind: 'unknown-cause', entry, cause}
  return {kind: 'entry', entry, cause: found, ...(retired ? {retired} : {})}
}
