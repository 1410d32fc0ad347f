/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Runs inside the page (serialised by playwright): measures horizontal overflow the way a phone
 * shows it and names the elements that stick out. Kept free of closures over module scope.
 */
export interface Offender {
  path: string
  tag: string
  width: number
  right: number
  reason: 'table' | 'pre-code' | 'long-word' | 'fixed-width' | '100vw' | 'nowrap' | 'media' | 'other'
  /** Says why; "{word}" stands for the start of `word`, filled in by doctor after redaction. */
  detail: string
  /** The long unbroken word, whole: page text is redacted before any of it is shown or shortened. */
  word?: string
}

export interface OverflowMeasure {
  clientWidth: number
  scrollWidth: number
  /** Content width even when html/body clip it (overflow-x: hidden). */
  contentWidth: number
  overflow: boolean
  hiddenBy?: string
  viewportMeta?: string
  offenders: Offender[]
}

export function measureOverflow(): OverflowMeasure {
  const de = document.documentElement
  const body = document.body
  const cw = de.clientWidth
  const style = (el: Element) => getComputedStyle(el)
  const clips = (v: string) => v === 'hidden' || v === 'clip'
  const hiddenBy = clips(style(de).overflowX) ? 'html' : body && clips(style(body).overflowX) ? 'body' : undefined

  const cssPath = (el: Element): string => {
    const parts: string[] = []
    let cur: Element | null = el
    while (cur && cur !== de && parts.length < 4) {
      let part = cur.tagName.toLowerCase()
      if (cur.id) {
        parts.unshift(`${part}#${cur.id}`)
        break
      }
      const cls = [...cur.classList].slice(0, 2)
      if (cls.length) part += `.${cls.join('.')}`
      const parent: Element | null = cur.parentElement
      if (parent) {
        const same = [...parent.children].filter((c) => c.tagName === cur!.tagName)
        if (same.length > 1 && !cls.length) part += `:nth-of-type(${same.indexOf(cur) + 1})`
      }
      parts.unshift(part)
      cur = parent
    }
    return parts.join(' > ')
  }

  const usesVw = (el: Element): boolean => {
    const inline = (el as HTMLElement).style?.width ?? ''
    if (/\d\s*vw/.test(inline) || /\d\s*vw/.test((el as HTMLElement).style?.minWidth ?? '')) return true
    for (const sheet of [...document.styleSheets]) {
      let rules: CSSRuleList
      try {
        rules = sheet.cssRules
      } catch {
        continue
      }
      for (const rule of [...rules]) {
        const r = rule as CSSStyleRule
        if (!r.selectorText || !r.style) continue
        try {
          if (el.matches(r.selectorText) && /\d\s*vw/.test(`${r.style.width} ${r.style.minWidth}`)) return true
        } catch {
          // an unsupported selector
        }
      }
    }
    return false
  }

  const longWord = (el: Element): string | undefined => {
    const text = (el as HTMLElement).innerText ?? el.textContent ?? ''
    const word = text.split(/\s+/).sort((a, b) => b.length - a.length)[0] ?? ''
    return word.length >= 24 ? word : undefined
  }

  const reasonOf = (el: Element): Pick<Offender, 'reason' | 'detail' | 'word'> => {
    const cs = style(el)
    const tag = el.tagName.toLowerCase()
    if (tag === 'table' || el.closest('table'))
      return {reason: 'table', detail: 'a table wider than the screen, with no horizontally scrolling wrapper'}
    if (tag === 'pre' || tag === 'code' || el.closest('pre'))
      return {reason: 'pre-code', detail: 'a pre/code block without overflow-x: auto'}
    if (['img', 'video', 'iframe', 'svg', 'canvas'].includes(tag))
      return {reason: 'media', detail: `${tag} keeps its intrinsic width (max-width: ${cs.maxWidth})`}
    if (usesVw(el))
      return {reason: '100vw', detail: "width in vw: 100vw includes the scrollbar and ignores the parent's padding"}
    if (cs.whiteSpace === 'nowrap' || cs.whiteSpace === 'pre')
      return {reason: 'nowrap', detail: `white-space: ${cs.whiteSpace} keeps the text on one line`}
    const word = longWord(el)
    if (word && cs.overflowWrap !== 'anywhere' && cs.wordBreak !== 'break-all')
      return {
        reason: 'long-word',
        word: word.slice(0, 8192),
        detail: `an unbroken ${word.length}-character word ({word}) with no break opportunity (overflow-wrap: ${cs.overflowWrap})`,
      }
    const declared = (el as HTMLElement).style?.width || ''
    if (/px$/.test(cs.width) && (parseFloat(cs.width) > cw || parseFloat(cs.minWidth) > cw || /px/.test(declared)))
      return {
        reason: 'fixed-width',
        detail: `a fixed width of ${cs.width}${parseFloat(cs.minWidth) > cw ? ` (min-width ${cs.minWidth})` : ''}`,
      }
    return {reason: 'other', detail: `${Math.round(el.getBoundingClientRect().width)}px wide`}
  }

  const offenders: Offender[] = []
  const reported: Element[] = []
  let contentWidth = Math.max(de.scrollWidth, body?.scrollWidth ?? 0)
  for (const el of body ? [...body.querySelectorAll('*')] : []) {
    const r = el.getBoundingClientRect()
    if (r.width === 0 && r.height === 0) continue
    // Its box sticks out, or its own content (a long word, a pre line) spills past its box and the screen.
    const spill =
      style(el).overflowX === 'visible' && el.scrollWidth > el.clientWidth + 1 ? r.left + el.scrollWidth : r.right
    const right = Math.max(r.right, spill)
    contentWidth = Math.max(contentWidth, Math.round(right))
    if (!(right > cw + 1 || r.left < -1)) continue
    // A wrapper whose box fits but whose content spills: report the element inside that sticks out instead.
    if (
      r.right <= cw + 1 &&
      r.left >= -1 &&
      [...el.querySelectorAll('*')].some((c) => c.getBoundingClientRect().right > cw + 1)
    )
      continue
    if (reported.some((p) => p.contains(el))) continue
    // Inside something that scrolls or clips horizontally (not html/body): contained, not an offender.
    let a = el.parentElement
    let contained = false
    while (a && a !== body && a !== de) {
      if (style(a).overflowX !== 'visible') {
        contained = true
        break
      }
      a = a.parentElement
    }
    if (contained) continue
    reported.push(el)
    offenders.push({
      path: cssPath(el),
      tag: el.tagName.toLowerCase(),
      width: Math.round(Math.max(r.width, right - r.left)),
      right: Math.round(right),
      ...reasonOf(el),
    })
    if (offenders.length >= 10) break
  }
  const meta = document.querySelector('meta[name="viewport" i]')?.getAttribute('content') ?? undefined
  return {
    clientWidth: cw,
    scrollWidth: de.scrollWidth,
    contentWidth,
    overflow: de.scrollWidth > cw + 1 || (hiddenBy !== undefined && contentWidth > cw + 1),
    ...(hiddenBy ? {hiddenBy} : {}),
    ...(meta !== undefined ? {viewportMeta: meta} : {}),
    offenders,
  }
}
