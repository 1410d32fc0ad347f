import stringWidth from 'string-width'
import wrapAnsi from 'wrap-ansi'

/**
 * Word-wrap for the terminal, by display width: ANSI colour codes take no room and wide
 * characters take two columns (wrap-ansi and string-width do the measuring). Paragraphs are
 * separated by a blank line; the first line starts with `first`, the others with `indent`;
 * a word longer than the line (a URL) stays whole.
 */
const HOLD = '\u2588'

export function wrap(text: string, width: number, indent = '', first = indent): string[] {
  const out: string[] = []
  const indentWidth = stringWidth(indent)
  const columns = Math.max(10, width - indentWidth)
  text.split(/\n{2,}/).forEach((paragraph, p) => {
    const lead = p === 0 ? first : indent
    // The first line's lead may be wider than the indent: hold its extra room with placeholder
    // characters glued to the first word (a visible character: wrap-ansi trims whitespace).
    const extra = Math.max(0, stringWidth(lead) - indentWidth)
    const words = paragraph.replace(/\s+/g, ' ').trim()
    const lines = wrapAnsi(`${HOLD.repeat(extra)}${words}`, columns, {hard: false, trim: true}).split('\n')
    lines.forEach((line, i) => out.push(i === 0 ? `${lead}${line.slice(extra)}` : `${indent}${line}`))
  })
  return out
}

/** At most `max` characters, with an ellipsis when cut. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`
}
