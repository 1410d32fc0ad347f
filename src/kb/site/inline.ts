/**
 * KB prose is plain text with one markup: `code spans`. Everything else is literal, including
 * template braces (`{{ .Values }}`, `${VAR}`), angle brackets and asterisks, so each output
 * format escapes whatever its readers would otherwise interpret.
 */

export interface Segment {
  code: boolean
  text: string
}

export function segments(text: string): Segment[] {
  const out: Segment[] = []
  const re = /`([^`]+)`/g
  let last = 0
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({code: false, text: text.slice(last, m.index)})
    out.push({code: true, text: m[1]})
    last = m.index + m[0].length
  }
  if (last < text.length) out.push({code: false, text: text.slice(last)})
  return out
}

const HTML: Record<string, string> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML[ch])
}

/** Inline text as HTML: code spans become <code>, URLs stay text (no auto-linking of example hosts). */
export function inlineHtml(text: string): string {
  return segments(text)
    .map((s) => (s.code ? `<code>${escapeHtml(s.text)}</code>` : escapeHtml(s.text)))
    .join('')
}

/**
 * Markdown for CommonMark/GFM tools and the docs generators built on them: punctuation that
 * could start markup (emphasis, links, HTML, tables) or a template expression (MDX `{}`,
 * `$` math) is backslash-escaped outside code spans, which CommonMark renders literally.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]{}<>|~$]/g, (ch) => `\\${ch}`)
}

export function codeSpan(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((t) => t.length))
  const fence = '`'.repeat(longest + 1)
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${text}${pad}${fence}`
}

export function inlineMarkdown(text: string): string {
  return segments(text)
    .map((s) => (s.code ? codeSpan(s.text) : escapeMarkdown(s.text)))
    .join('')
    .replace(/\n+/g, ' ')
}

export function codeBlockMarkdown(text: string, lang = 'sh'): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((t) => t.length))
  const fence = '`'.repeat(longest + 1)
  return `${fence}${lang}\n${text}\n${fence}`
}
