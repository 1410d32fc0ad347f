/**
 * Ranking pasted text against the knowledge base. This module has no imports on purpose: the
 * docs site embeds its compiled JavaScript, so the search box and `doctor explain` rank alike.
 *
 * Pasted text is messy (a log line around the error, quotes, a truncated message, odd case),
 * while entries carry the exact strings users see. So the main signal is phrase containment on
 * normalised text (an entry string inside the paste, or the paste inside an entry string),
 * weighted by how specific the phrase is; word overlap weighted by rarity breaks ties and
 * catches descriptions ("session cookie dropped after login").
 */

export interface SearchPhrase {
  /** Original text, shown as "matched". */
  text: string
  field: 'string' | 'title' | 'keyword' | 'id' | 'cause'
  /** The cause the phrase belongs to, when it is a cause's own string or summary. */
  cause?: string
}

export interface SearchDoc {
  id: string
  title: string
  phrases: SearchPhrase[]
  /** Free text (summary, explanations) that counts for word overlap only. */
  body: string
}

export interface IndexedDoc {
  id: string
  title: string
  /** [normalised text, original text, field, cause id or ""] */
  phrases: Array<[string, string, SearchPhrase['field'], string]>
  /** Distinct words of the whole entry. */
  words: string[]
}

export interface SearchIndex {
  docs: IndexedDoc[]
  idf: Record<string, number>
  /** Normalised phrases that several entries share ("we are sorry"), with how many do. */
  shared: Record<string, number>
}

export interface SearchHit {
  id: string
  title: string
  /** 0..1 */
  score: number
  matched?: {text: string; field: SearchPhrase['field']; cause?: string; how: 'contains' | 'partial' | 'words'}
}

const FIELD_WEIGHT: Record<SearchPhrase['field'], number> = {string: 1, title: 0.8, id: 0.75, keyword: 0.6, cause: 0.55}

const STOP = new Set(
  'a an and are as at be been but by can do does for from has have i if in into is it its my of on or our so than that the then there this to was we were will with you your'.split(
    ' ',
  ),
)

/** Lower case, accents and punctuation folded to single spaces: "Error 400: redirect_uri" → "error 400 redirect uri". */
export function normalize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
}

export function words(text: string): string[] {
  return normalize(text)
    .split(' ')
    .filter((w) => w.length > 0 && !STOP.has(w))
}

export function buildIndex(docs: SearchDoc[]): SearchIndex {
  const indexed: IndexedDoc[] = docs.map((doc) => {
    const bag = new Set<string>()
    const phrases: IndexedDoc['phrases'] = []
    for (const p of doc.phrases) {
      const n = normalize(p.text)
      if (n === '') continue
      phrases.push([n, p.text, p.field, p.cause ?? ''])
      for (const w of words(p.text)) bag.add(w)
    }
    for (const w of words(doc.body)) bag.add(w)
    return {id: doc.id, title: doc.title, phrases, words: [...bag]}
  })
  const df: Record<string, number> = {}
  for (const doc of indexed) for (const w of doc.words) df[w] = (df[w] ?? 0) + 1
  const phraseDf: Record<string, number> = {}
  for (const doc of indexed) for (const p of new Set(doc.phrases.map((x) => x[0]))) phraseDf[p] = (phraseDf[p] ?? 0) + 1
  const shared: Record<string, number> = {}
  for (const p of Object.keys(phraseDf)) if (phraseDf[p] > 1) shared[p] = phraseDf[p]
  const idf: Record<string, number> = {}
  const n = indexed.length
  for (const w of Object.keys(df)) idf[w] = Math.log((n + 1) / (df[w] + 0.5))
  return {docs: indexed, idf, shared}
}

function rarity(index: SearchIndex, ws: string[]): number {
  let sum = 0
  for (const w of ws) sum += index.idf[w] ?? Math.log(index.docs.length + 1)
  return sum
}

/**
 * Best matches for `query`, best first. `score` is 0..1: about 0.9 and up means an entry's
 * own error string appears in the paste; below about 0.3 the match rests on shared words.
 */
export function search(index: SearchIndex, query: string, limit = 5): SearchHit[] {
  const q = normalize(query)
  if (q === '') return []
  const padded = ` ${q} `
  const qWords = words(query)
  const qSet = new Set(qWords)
  const last = q.split(' ').pop() ?? ''
  const knownQ = qWords.filter((w, i) => index.idf[w] !== undefined && qWords.indexOf(w) === i)
  const knownRarity = rarity(index, knownQ)

  const ranked: Array<{raw: number; hit: SearchHit}> = []
  for (const doc of index.docs) {
    let best = 0
    let bestMatch: SearchHit['matched']
    let strongPhrases = 0
    let bestCause = ''
    let bestCauseScore = 0
    for (const [norm, original, field, cause] of doc.phrases) {
      const pWords = norm.split(' ').filter((w) => !STOP.has(w))
      if (pWords.length === 0) continue
      // A phrase that is one common word ("401", "login") says little on its own, a long exact
      // message says a lot, and a page title several entries share ("We are sorry...") less.
      const r = rarity(index, pWords)
      const specificity =
        (0.45 + 0.55 * Math.min(1, r / 7) + 0.15 * Math.min(1, Math.max(0, r - 7) / 15)) /
        (1 + 0.35 * ((index.shared[norm] ?? 1) - 1))
      let s = 0
      let how: 'contains' | 'partial' | 'words' = 'words'
      if (padded.includes(` ${norm} `)) {
        s = specificity
        how = 'contains'
      } else if (q.length >= 5 && norm.includes(q)) {
        // The paste is a fragment of the phrase: "redirect_uri_mis", "Callback URL mismat".
        s = specificity * (0.55 + 0.4 * (q.length / norm.length))
        how = 'partial'
      } else if (pWords.length >= 2) {
        let have = 0
        for (const w of pWords) if (qSet.has(w) || (w.startsWith(last) && last.length >= 3)) have += index.idf[w] ?? 1
        const coverage = have / rarity(index, pWords)
        if (coverage >= 0.6) s = specificity * 0.7 * coverage * coverage
      }
      // An entry that owns the string outranks one that lists it under a single cause.
      s *= FIELD_WEIGHT[field] * (cause && field === 'string' ? 0.92 : 1)
      if (s >= 0.45) strongPhrases++
      if (s > best) {
        best = s
        bestMatch = {text: original, field, ...(cause ? {cause} : {}), how}
      }
      if (cause && s > bestCauseScore) {
        bestCauseScore = s
        bestCause = cause
      }
    }
    let overlap = 0
    if (knownRarity > 0) {
      const docWords = new Set(doc.words)
      let have = 0
      for (const w of knownQ) if (docWords.has(w)) have += index.idf[w]
      overlap = have / knownRarity
    }
    // Name a cause when one of its own phrases matched nearly as well as the best phrase.
    if (bestMatch && !bestMatch.cause && bestCause && bestCauseScore >= 0.6 * best)
      bestMatch = {...bestMatch, cause: bestCause}
    // Ranked on the raw sum; the score shown is scaled so an exact, specific match with most of
    // the paste explained reads about 100%.
    const raw = best + 0.05 * Math.min(3, Math.max(0, strongPhrases - 1)) + 0.3 * overlap
    if (raw >= 0.12)
      ranked.push({
        raw,
        hit: {
          id: doc.id,
          title: doc.title,
          score: Math.round(Math.min(1, raw / 1.3) * 1000) / 1000,
          ...(bestMatch ? {matched: bestMatch} : {}),
        },
      })
  }
  ranked.sort((a, b) => b.raw - a.raw || (a.hit.id < b.hit.id ? -1 : 1))
  const top = ranked[0]?.raw ?? 0
  return ranked
    .filter((r) => r.raw >= top * 0.35)
    .slice(0, limit)
    .map((r) => r.hit)
}
