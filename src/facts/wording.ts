import {STATUS_CODES} from 'node:http'

/** How checks quote what they saw over HTTP in their messages and steps. */

/** "502 Bad Gateway", or the bare number for a code without a reason phrase. */
export function statusLine(status: number): string {
  const text = STATUS_CODES[status]
  return text ? `${status} ${text}` : String(status)
}

/** A body snippet on one line, at most about 120 characters. */
export function oneLine(text: string): string {
  const clean = text.replace(/\s+/g, ' ').trim()
  return clean.length > 120 ? `${clean.slice(0, 119)}…` : clean
}

/** Header names only, for a curl line in fix and verify steps: their values may be credentials. */
export function curlLine(url: string, headers: Record<string, string> | undefined): string {
  const h = Object.keys(headers ?? {})
    .map((name) => ` -H '${name}: …'`)
    .join('')
  return `curl -sS${h} '${url}'`
}
