/**
 * How two URLs differ, in the terms IdPs trip over: every IdP compares redirect URIs as exact
 * strings, so http vs https, a port, a trailing slash or a capital letter is a different URI.
 */
export interface UrlDifference {
  /** Human-readable differences, e.g. "scheme http vs https", "trailing slash". Empty when identical. */
  parts: string[]
  /** Same path up to case and a trailing slash: the "differs in detail" family of mistakes. */
  detail: boolean
  sameOrigin: boolean
}

/** How to name the two sides in a sentence ("the configured issuer", "the published issuer"). */
export interface Sides {
  a: string
  b: string
}

export function urlDifference(
  sent: string,
  expected: string,
  sides: Sides = {a: 'the sent URL', b: 'the registered URL'},
): UrlDifference {
  let a: URL
  let b: URL
  try {
    a = new URL(sent)
    b = new URL(expected)
  } catch {
    return {parts: sent === expected ? [] : ['not comparable as URLs'], detail: false, sameOrigin: false}
  }
  const parts: string[] = []
  if (a.protocol !== b.protocol) parts.push(`scheme ${a.protocol.slice(0, -1)} vs ${b.protocol.slice(0, -1)}`)
  const rawHostA = /^[a-z]+:\/\/([^/?#]*)/i.exec(sent)?.[1] ?? a.host
  const rawHostB = /^[a-z]+:\/\/([^/?#]*)/i.exec(expected)?.[1] ?? b.host
  if (a.hostname !== b.hostname) parts.push(`host ${a.hostname} vs ${b.hostname}`)
  else if (rawHostA.replace(/:\d+$/, '') !== rawHostB.replace(/:\d+$/, ''))
    parts.push(`host case ${rawHostA} vs ${rawHostB}`)
  if (a.port !== b.port) parts.push(`port ${a.port || 'default'} vs ${b.port || 'default'}`)
  const pa = a.pathname
  const pb = b.pathname
  const trimmed = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p)
  if (pa !== pb) {
    if (trimmed(pa) === trimmed(pb))
      parts.push(
        pa.endsWith('/')
          ? `${sides.a} ends with a slash, ${sides.b} does not`
          : `${sides.b} ends with a slash, ${sides.a} does not`,
      )
    else if (trimmed(pa).toLowerCase() === trimmed(pb).toLowerCase()) parts.push(`path case ${pa} vs ${pb}`)
    else parts.push(`path ${pa} vs ${pb}`)
  }
  if (a.search !== b.search) parts.push(`query ${a.search || '(none)'} vs ${b.search || '(none)'}`)
  const detail = parts.length > 0 && trimmed(pa).toLowerCase() === trimmed(pb).toLowerCase()
  return {parts, detail, sameOrigin: a.origin === b.origin}
}

/** The closest of several candidates (fewest differences, same path preferred). */
export function closest(
  sent: string,
  candidates: readonly string[],
  sides?: Sides,
): {url: string; diff: UrlDifference} | undefined {
  let best: {url: string; diff: UrlDifference} | undefined
  for (const url of candidates) {
    const diff = urlDifference(sent, url, sides)
    const score = (d: UrlDifference) => (d.detail ? 0 : 10) + d.parts.length
    if (!best || score(diff) < score(best.diff)) best = {url, diff}
  }
  return best
}
