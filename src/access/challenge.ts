/**
 * WWW-Authenticate (RFC 9110 §11.6.1): one or more challenges, each an auth-scheme followed by
 * a token68 or by comma-separated auth-params whose values are tokens or quoted strings.
 * Lenient like browsers: unknown shapes are kept rather than thrown away.
 */
export interface Challenge {
  /** Lower-cased, e.g. "bearer", "basic". */
  scheme: string
  params: Record<string, string>
  token68?: string
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/

export function parseChallenges(header: string | undefined): Challenge[] {
  if (!header) return []
  const out: Challenge[] = []
  let rest = header.trim()
  let current: Challenge | undefined
  while (rest.length > 0) {
    rest = rest.replace(/^[\s,]+/, '')
    const name = TOKEN.exec(rest)?.[0]
    if (!name) break
    const after = rest.slice(name.length)
    const param = /^\s*=\s*/.exec(after)
    if (current && param && !/^\s*=\s*=*\s*(,|$)/.test(after)) {
      // name=value inside the current challenge
      let value: string
      let tail = after.slice(param[0].length)
      if (tail.startsWith('"')) {
        let i = 1
        value = ''
        while (i < tail.length && tail[i] !== '"') {
          if (tail[i] === '\\' && i + 1 < tail.length) i++
          value += tail[i]
          i++
        }
        tail = tail.slice(i + 1)
      } else {
        value = /^[^,\s]*/.exec(tail)![0]
        tail = tail.slice(value.length)
      }
      current.params[name.toLowerCase()] = value
      rest = tail
      continue
    }
    // A new challenge: scheme, then optionally a token68.
    current = {scheme: name.toLowerCase(), params: {}}
    out.push(current)
    rest = after.replace(/^\s+/, '')
    const token68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/.exec(rest)
    if (token68 && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=[^=]/.test(rest)) {
      current.token68 = token68[0]
      rest = rest.slice(token68[0].length)
    }
  }
  return out
}

/** The Bearer challenge, if any (RFC 6750 §3). */
export function bearerChallenge(header: string | undefined): Challenge | undefined {
  return parseChallenges(header).find((c) => c.scheme === 'bearer')
}
