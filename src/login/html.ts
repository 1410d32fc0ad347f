/**
 * Read an HTML page the way a browser-walking login diagnostic needs it: title, visible text,
 * forms (with absolute actions and the fields a browser would submit), meta refresh, and the
 * headings / error boxes an IdP error page shows. Never throws; one iterative pass over the DOM.
 */
import {DomUtils, ElementType, parseDocument} from 'htmlparser2'

export interface FormField {
  name: string
  /** For a <select>: the selected option's value, else the first option's. */
  value: string
  /** Lower-case input type ('hidden', 'text', 'email', 'password', ...; unknown types read as 'text'), or 'textarea' / 'select'. */
  type: string
}

export interface PageForm {
  /** Absolute URL the form submits to (action resolved against the page URL and <base href>; empty/missing action = page URL). */
  action: string
  method: 'GET' | 'POST'
  id?: string
  name?: string
  /** Successful controls: named, enabled inputs (checkboxes/radios only if checked), textareas and selects; buttons/submit excluded. */
  fields: FormField[]
  /** An <input type=password> inside the form. */
  hasPassword: boolean
  /**
   * Name of the field a login form expects the user name in: the first text/email input whose name, id or
   * autocomplete matches /user|login|email|identifier|account|name/i (visible ones first), else the first
   * visible text/email input before the password field.
   */
  usernameField?: string
  passwordField?: string
  /**
   * True when the page submits this form by itself: body onload / inline script calling `.submit()` on it
   * (document.forms[i|'n'|.n], getElementById, querySelector, or any `x.submit()` when the page has one form), or an
   * OAuth form_post / SAML POST page (a single POST form of only hidden response fields, with a <noscript> submit
   * button or a script submit). Never true for a form with a password field (a script there is a handler, not a hop).
   */
  autoSubmit: boolean
}

export interface PageInfo {
  /** <title> text, whitespace-collapsed, trimmed. */
  title?: string
  /** Visible body text: no script/style/noscript/template contents, entities decoded, whitespace collapsed, at most 20_000 chars. */
  text: string
  /** <meta http-equiv="refresh"> outside <noscript>; url resolved to absolute (missing url = this page). */
  metaRefresh?: {delaySeconds: number; url: string}
  forms: PageForm[]
  /** <h1>/<h2> texts in document order (at most 10, 500 chars each). */
  headings: string[]
  /** Texts of visible elements whose id/class contains "error", "alert" or "kc-feedback" (deduplicated; at most 10, 500 chars each). */
  errorTexts: string[]
}

type DomNode = ReturnType<typeof parseDocument>['children'][number]
type Element = Parameters<typeof DomUtils.getAttributeValue>[0]
type TextNode = Extract<DomNode, {type: typeof ElementType.Text}>

const isElement = (n: DomNode): n is Element => ElementType.isTag(n)
const isText = (n: DomNode): n is TextNode => n.type === ElementType.Text
const childrenOf = (n: DomNode): DomNode[] => ('children' in n ? (n.children as DomNode[]) : [])

const MAX_TEXT = 20_000
/** Pages are read up to this many chars (IdP pages are far smaller; this bounds the time a huge page costs). */
const MAX_HTML = 4 * 1024 * 1024
const MAX_SNIPPETS = 10
const MAX_SNIPPET = 500

// Walk flags.
const NO_TEXT = 1
const IN_NOSCRIPT = 2
const IN_FORM = 4
const IN_SVG = 8
const HIDDEN = 16
const DISABLED = 32

const SKIP_TEXT = new Set(['script', 'style', 'noscript', 'template', 'head', 'title', 'iframe', 'object'])
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'br',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'li',
  'main',
  'nav',
  'ol',
  'option',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'td',
  'th',
  'tr',
  'ul',
  'button',
  'label',
  'input',
  'select',
  'textarea',
  'img',
])
const INPUT_TYPES = new Set([
  'hidden',
  'text',
  'search',
  'tel',
  'url',
  'email',
  'password',
  'date',
  'month',
  'week',
  'time',
  'datetime-local',
  'number',
  'range',
  'color',
  'checkbox',
  'radio',
  'file',
  'submit',
  'image',
  'reset',
  'button',
])
const BUTTON_TYPES = new Set(['submit', 'image', 'reset', 'button'])
const JS_TYPES = /^(?:|module|(?:text|application)\/(?:x-)?(?:javascript|ecmascript)(?:;.*)?)$/i
const ERRORISH = /error|alert|kc-feedback/i
const USERNAME_HINT = /user|login|email|identifier|account|name/i
/** Field names an OAuth form_post or SAML POST-binding page carries back to the relying party. */
const FORM_POST_NAMES = new Set([
  'code',
  'state',
  'id_token',
  'access_token',
  'token_type',
  'expires_in',
  'scope',
  'error',
  'error_description',
  'error_uri',
  'iss',
  'session_state',
  'samlresponse',
  'samlrequest',
  'relaystate',
  'sigalg',
  'signature',
])
const FORM_POST_KEYS = new Set(['code', 'id_token', 'access_token', 'error', 'samlresponse', 'samlrequest'])

const collapse = (s: string): string => s.replace(/\s+/g, ' ')
const attr = (el: Element, name: string): string | undefined => el.attribs[name]
const has = (el: Element, name: string): boolean => Object.prototype.hasOwnProperty.call(el.attribs, name)

function isHiddenEl(el: Element): boolean {
  const style = el.attribs.style
  if (style === undefined && el.attribs.hidden === undefined) return false
  if (has(el, 'hidden')) return true
  return style !== undefined && /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b/i.test(style)
}

/** Collapsed text of a subtree (no script/style/template/noscript), stopping once `limit` chars are collected. */
function textOf(root: Element, limit: number): string {
  const parts: string[] = []
  let len = 0
  const stack: Array<DomNode | null> = [...root.children].reverse()
  while (stack.length > 0 && len <= limit) {
    const node = stack.pop()
    if (node === null || node === undefined) {
      parts.push(' ')
      continue
    }
    if (isText(node)) {
      const t = collapse(node.data)
      parts.push(t)
      len += t.length
    } else if (isElement(node)) {
      if (SKIP_TEXT.has(node.name) || isHiddenEl(node)) continue
      const block = BLOCK.has(node.name)
      if (block) stack.push(null)
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i])
      if (block) stack.push(null)
    }
  }
  return collapse(parts.join('')).trim().slice(0, limit)
}

function tryUrl(input: string, base?: string | URL): URL | undefined {
  try {
    return new URL(input, base)
  } catch {
    return undefined
  }
}

/** Parse a refresh pragma: `N`, `N; url=...`, `N,URL='...'`, tolerant of case, spaces and quotes. */
function parseRefresh(content: string): {delay: number; target: string} | undefined {
  let s = content.trim()
  const dm = /^(\d*)(\.[\d.]*)?/.exec(s)
  const digits = dm?.[1] ?? ''
  if (!digits && !dm?.[2] && !/^[;,]?\s*url\s*=/i.test(s)) return undefined
  const delay = digits ? Math.min(Number.parseInt(digits, 10), 2_147_483_647) : 0
  s = s
    .slice(dm?.[0].length ?? 0)
    .replace(/^[\s;,]+/, '')
    .replace(/^url\s*=\s*/i, '')
  const q = s[0]
  if (q === '"' || q === "'") {
    const end = s.indexOf(q, 1)
    s = end > 0 ? s.slice(1, end) : s.slice(1)
  }
  return {delay, target: s.trim()}
}

interface Controls {
  fields: FormField[]
  hasPassword: boolean
  usernameField?: string
  passwordField?: string
  noscriptSubmit: boolean
}

/** The controls of one form, as a browser would submit it. */
function readControls(form: Element): Controls {
  const fields: FormField[] = []
  let hasPassword = false
  let passwordField: string | undefined
  let noscriptSubmit = false
  let beforePassword = true
  let hinted: string | undefined
  let hintedHidden: string | undefined
  let firstVisibleBeforePassword: string | undefined
  const nodes: DomNode[] = [...form.children].reverse()
  const flags: number[] = nodes.map(() => 0)
  while (nodes.length > 0) {
    const node = nodes.pop() as DomNode
    let f = flags.pop() as number
    if (!isElement(node)) continue
    const name = node.name
    if (name === 'script' || name === 'style' || name === 'template') continue
    if (isHiddenEl(node)) f |= HIDDEN
    if (name === 'noscript') f |= IN_NOSCRIPT
    if (name === 'fieldset' && has(node, 'disabled')) f |= DISABLED
    if (name === 'input') {
      const rawType = (attr(node, 'type') ?? 'text').trim().toLowerCase()
      const type = INPUT_TYPES.has(rawType) ? rawType : 'text'
      const fieldName = attr(node, 'name') ?? ''
      const disabled = has(node, 'disabled') || (f & DISABLED) !== 0
      if ((f & IN_NOSCRIPT) !== 0 && (type === 'submit' || type === 'image')) noscriptSubmit = true
      if (type === 'password') {
        hasPassword = true
        beforePassword = false
        if (fieldName && !disabled && passwordField === undefined) passwordField = fieldName
      }
      if (!fieldName || disabled || BUTTON_TYPES.has(type)) continue
      if ((type === 'checkbox' || type === 'radio') && !has(node, 'checked')) continue
      const value = attr(node, 'value') ?? (type === 'checkbox' || type === 'radio' ? 'on' : '')
      fields.push({name: fieldName, value, type})
      if (type === 'text' || type === 'email') {
        const visible = (f & HIDDEN) === 0
        const hint = [fieldName, attr(node, 'id') ?? '', attr(node, 'autocomplete') ?? ''].some((v) =>
          USERNAME_HINT.test(v),
        )
        if (hint && visible && hinted === undefined) hinted = fieldName
        if (hint && !visible && hintedHidden === undefined) hintedHidden = fieldName
        if (visible && beforePassword && firstVisibleBeforePassword === undefined)
          firstVisibleBeforePassword = fieldName
      }
      continue
    }
    if (name === 'button') {
      const type = (attr(node, 'type') ?? 'submit').trim().toLowerCase()
      if ((f & IN_NOSCRIPT) !== 0 && type === 'submit') noscriptSubmit = true
      continue
    }
    if (name === 'textarea' || name === 'select') {
      const fieldName = attr(node, 'name') ?? ''
      if (!fieldName || has(node, 'disabled') || (f & DISABLED) !== 0) continue
      if (name === 'textarea') {
        fields.push({name: fieldName, value: DomUtils.textContent(node).replace(/^\r?\n/, ''), type: 'textarea'})
        continue
      }
      const options = DomUtils.findAll((e) => e.name === 'option', node.children)
      const selected = options.filter((o) => has(o, 'selected'))
      const chosen =
        selected.length > 0
          ? has(node, 'multiple')
            ? selected
            : [selected[0]]
          : has(node, 'multiple')
            ? []
            : options.filter((o) => !has(o, 'disabled')).slice(0, 1)
      for (const o of chosen) {
        fields.push({
          name: fieldName,
          value: attr(o, 'value') ?? collapse(DomUtils.textContent(o)).trim(),
          type: 'select',
        })
      }
      continue
    }
    for (let i = node.children.length - 1; i >= 0; i--) {
      nodes.push(node.children[i])
      flags.push(f)
    }
  }
  const usernameField = hinted ?? (hasPassword ? firstVisibleBeforePassword : undefined) ?? hintedHidden
  return {fields, hasPassword, usernameField, passwordField, noscriptSubmit}
}

/** Which of the page's forms (indexes into `forms`) inline scripts submit by themselves. */
function scriptSubmittedForms(scripts: string[], forms: Element[]): Set<number> {
  const out = new Set<number>()
  const byNameOrId = (key: string): void => {
    const i = forms.findIndex((f) => attr(f, 'id') === key || attr(f, 'name') === key)
    if (i >= 0) out.add(i)
  }
  const byId = (key: string): void => {
    const i = forms.findIndex((f) => attr(f, 'id') === key)
    if (i >= 0) out.add(i)
  }
  const byName = (key: string): void => {
    const i = forms.findIndex((f) => attr(f, 'name') === key)
    if (i >= 0) out.add(i)
  }
  for (const code of scripts) {
    // `.submit()` with no arguments (jQuery's `.submit(fn)` only binds a handler); requestSubmit may take a submitter.
    const re = /\.\s*(?:submit\s*\(\s*\)|requestSubmit\s*\()/g
    let m: RegExpExecArray | null
    while ((m = re.exec(code)) !== null) {
      const before = code.slice(Math.max(0, m.index - 200), m.index)
      let r: RegExpExecArray | null
      if ((r = /document\s*\.\s*forms\s*\[\s*(\d+)\s*\]\s*$/.exec(before))) {
        out.add(Number(r[1]))
      } else if ((r = /document\s*\.\s*forms\s*\[\s*(['"`])(.*?)\1\s*\]\s*$/.exec(before))) {
        byNameOrId(r[2])
      } else if ((r = /document\s*\.\s*forms\s*\.\s*([A-Za-z_$][\w$]*)\s*$/.exec(before))) {
        byNameOrId(r[1])
      } else if ((r = /getElementById\s*\(\s*(['"`])(.*?)\1\s*\)\s*$/.exec(before))) {
        byId(r[2])
      } else if ((r = /(?:querySelector|\$)\s*\(\s*(['"`])(.*?)\1\s*\)\s*$/.exec(before))) {
        const sel = r[2].trim()
        let s: RegExpExecArray | null
        if (sel === 'form') out.add(0)
        else if ((s = /^(?:form)?#([\w-]+)$/.exec(sel))) byId(s[1])
        else if ((s = /^(?:form)?\[\s*name\s*=\s*['"]?([^'"\]]+)['"]?\s*\]$/.exec(sel))) byName(s[1])
        else if (forms.length === 1) out.add(0)
      } else if ((r = /\bdocument\s*\.\s*([A-Za-z_$][\w$]*)\s*$/.exec(before))) {
        byName(r[1])
      } else if (forms.length === 1) {
        out.add(0)
      }
    }
  }
  return out
}

function emptyPage(): PageInfo {
  return {text: '', forms: [], headings: [], errorTexts: []}
}

export function readPage(html: string, pageUrl: string): PageInfo {
  try {
    const source = typeof html === 'string' ? html : String(html ?? '')
    return readPageUnsafe(source.length > MAX_HTML ? source.slice(0, MAX_HTML) : source, String(pageUrl ?? ''))
  } catch {
    return emptyPage()
  }
}

function readPageUnsafe(html: string, pageUrl: string): PageInfo {
  const doc = parseDocument(html)
  let title: string | undefined
  let baseHref: string | undefined
  let refresh: string | undefined
  let pageNoscriptSubmit = false
  let errorCandidates = 0
  const formEls: Element[] = []
  const scripts: string[] = []
  const headings: string[] = []
  const errorTexts: string[] = []
  const textParts: string[] = []
  let textLen = 0
  const addText = (s: string): void => {
    if (textLen > MAX_TEXT + 200) return
    const t = collapse(s)
    if (t === ' ' && textParts.at(-1)?.endsWith(' ')) return
    textParts.push(t)
    textLen += t.length
  }
  const addSnippet = (list: string[], el: Element): void => {
    if (list.length >= MAX_SNIPPETS) return
    const t = textOf(el, MAX_SNIPPET)
    if (t && !list.includes(t)) list.push(t)
  }

  const nodes: Array<DomNode | null> = [...doc.children].reverse()
  const flags: number[] = nodes.map(() => 0)
  while (nodes.length > 0) {
    const node = nodes.pop()
    const f = flags.pop() as number
    if (node === null || node === undefined) {
      if ((f & NO_TEXT) === 0) addText(' ')
      continue
    }
    if (isText(node)) {
      if ((f & NO_TEXT) === 0) addText(node.data)
      continue
    }
    if (!isElement(node)) {
      const kids = childrenOf(node)
      for (let i = kids.length - 1; i >= 0; i--) {
        nodes.push(kids[i])
        flags.push(f)
      }
      continue
    }
    const name = node.name
    let cf = f
    switch (name) {
      case 'title':
        if (title === undefined && (f & IN_SVG) === 0) title = collapse(DomUtils.textContent(node)).trim() || undefined
        break
      case 'base':
        if (baseHref === undefined && attr(node, 'href') !== undefined) baseHref = attr(node, 'href')
        break
      case 'meta':
        if (
          (attr(node, 'http-equiv') ?? '').trim().toLowerCase() === 'refresh' &&
          attr(node, 'content') !== undefined
        ) {
          // A <noscript> refresh only applies to browsers without JavaScript; this reader follows what a JS browser does.
          if ((f & IN_NOSCRIPT) === 0) refresh ??= attr(node, 'content')
        }
        break
      case 'script': {
        const type = (attr(node, 'type') ?? '').trim()
        if (attr(node, 'src') === undefined && JS_TYPES.test(type)) scripts.push(DomUtils.textContent(node))
        break
      }
      case 'body':
      case 'frameset':
        if (attr(node, 'onload')) scripts.push(attr(node, 'onload') as string)
        break
      case 'form':
        if ((f & IN_FORM) === 0) formEls.push(node)
        cf |= IN_FORM
        break
      case 'button':
      case 'input':
        if ((f & IN_NOSCRIPT) !== 0) {
          const type = (attr(node, 'type') ?? '').trim().toLowerCase()
          if (name === 'button' ? type === '' || type === 'submit' : type === 'submit' || type === 'image')
            pageNoscriptSubmit = true
        }
        break
      case 'svg':
        cf |= IN_SVG
        break
      default:
    }
    if (SKIP_TEXT.has(name)) cf |= NO_TEXT
    if (name === 'noscript') cf |= IN_NOSCRIPT
    if ((cf & NO_TEXT) === 0 && isHiddenEl(node)) cf |= NO_TEXT
    if ((cf & NO_TEXT) === 0) {
      if (name === 'h1' || name === 'h2') addSnippet(headings, node)
      const id = node.attribs.id
      const cls = node.attribs.class
      if (
        (id || cls) &&
        errorTexts.length < MAX_SNIPPETS &&
        errorCandidates < 50 &&
        ((id && ERRORISH.test(id)) || (cls && ERRORISH.test(cls))) &&
        name !== 'html' &&
        name !== 'body'
      ) {
        errorCandidates++
        addSnippet(errorTexts, node)
      }
    }
    // <template> content is inert: no text, no forms.
    if (name === 'template') continue
    const block = BLOCK.has(name)
    if (block) {
      nodes.push(null)
      flags.push(cf)
    }
    for (let i = node.children.length - 1; i >= 0; i--) {
      nodes.push(node.children[i])
      flags.push(cf)
    }
    if (block) {
      nodes.push(null)
      flags.push(cf)
    }
  }

  const docUrl = tryUrl(pageUrl)
  const base = (baseHref !== undefined ? tryUrl(baseHref.trim(), docUrl) : undefined) ?? docUrl

  let metaRefresh: PageInfo['metaRefresh']
  const parsed = refresh === undefined ? undefined : parseRefresh(refresh)
  if (parsed) {
    const target = parsed.target ? tryUrl(parsed.target, base) : docUrl
    if (target) metaRefresh = {delaySeconds: parsed.delay, url: target.href}
  }

  const scripted = scriptSubmittedForms(scripts, formEls)
  const forms: PageForm[] = []
  formEls.forEach((el, i) => {
    const rawAction = (attr(el, 'action') ?? '').trim()
    const action = rawAction ? tryUrl(rawAction, base) : docUrl
    if (!action) return
    const c = readControls(el)
    const method = (attr(el, 'method') ?? '').trim().toLowerCase() === 'post' ? 'POST' : 'GET'
    let autoSubmit = scripted.has(i) && !c.hasPassword
    if (!autoSubmit && formEls.length === 1 && method === 'POST' && c.fields.length > 0 && !c.hasPassword) {
      const names = c.fields.map((x) => x.name.toLowerCase())
      const formPost =
        c.fields.every((x) => x.type === 'hidden') &&
        names.every((n) => FORM_POST_NAMES.has(n)) &&
        names.some((n) => FORM_POST_KEYS.has(n))
      autoSubmit = formPost && (c.noscriptSubmit || pageNoscriptSubmit || scripted.size > 0)
    }
    const form: PageForm = {action: action.href, method, fields: c.fields, hasPassword: c.hasPassword, autoSubmit}
    const id = attr(el, 'id')
    const formName = attr(el, 'name')
    if (id) form.id = id
    if (formName) form.name = formName
    if (c.usernameField !== undefined) form.usernameField = c.usernameField
    if (c.passwordField !== undefined) form.passwordField = c.passwordField
    forms.push(form)
  })

  const text = collapse(textParts.join('')).trim().slice(0, MAX_TEXT).trim()
  const info: PageInfo = {text, forms, headings, errorTexts}
  if (title !== undefined) info.title = title
  if (metaRefresh) info.metaRefresh = metaRefresh
  return info
}
