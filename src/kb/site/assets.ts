import {existsSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

/**
 * The site's one stylesheet. Narrow screens are the design target (the knowledge base documents
 * a mobile-overflow bug and must not have it): text wraps long identifiers anywhere, and tables
 * and code blocks scroll inside their own box instead of widening the page.
 */
export const STYLE = `
:root { --fg: #1d232b; --muted: #5b6673; --line: #d9dee4; --bg: #fff; --soft: #f4f6f8; --accent: #0b62c4; --warn: #9a5b00; --bad: #b3261e; --ok: #1e7b34; }
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); overflow-wrap: anywhere; }
header.site, main, footer.site { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header.site { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; padding-top: 1rem; padding-bottom: .5rem; border-bottom: 1px solid var(--line); }
header.site a.home { font-weight: 700; color: var(--fg); text-decoration: none; }
header.site nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
footer.site { color: var(--muted); font-size: .875rem; padding-top: 2rem; padding-bottom: 2rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: 1.25rem 0 .5rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 1.5rem 0 .25rem; }
a { color: var(--accent); }
p, li { max-width: 48rem; }
.meta { color: var(--muted); font-size: .9rem; }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: 999px; padding: 0 .5rem; font-size: .8rem; color: var(--muted); margin: 0 .25rem .25rem 0; }
.tag.read-only { color: var(--ok); border-color: currentColor; }
.tag.changes { color: var(--warn); border-color: currentColor; }
code, pre, kbd { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .875em; }
code { background: var(--soft); border-radius: 4px; padding: 0 .2em; overflow-wrap: anywhere; word-break: break-word; }
pre { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: .6rem .75rem; overflow-x: auto; max-width: 100%; white-space: pre; }
pre code { background: none; padding: 0; overflow-wrap: normal; word-break: normal; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: 1rem 0; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; min-width: 56rem; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .5rem .6rem; border-bottom: 1px solid var(--line); min-width: 9rem; overflow-wrap: break-word; }
td code { overflow-wrap: anywhere; }
th { background: var(--soft); }
td ol, td ul { margin: 0; padding-left: 1.1rem; }
ul.strings { padding-left: 1.1rem; }
ul.plain { list-style: none; padding-left: 0; }
.cause { border-left: 3px solid var(--line); padding-left: .9rem; margin: 1.25rem 0; }
.expect { color: var(--ok); }
.expect::before { content: "Expect: "; font-weight: 600; }
.checked { font-size: .9rem; color: var(--muted); }
.search { margin: 1rem 0; }
.search input { width: 100%; max-width: 36rem; font: inherit; padding: .5rem .6rem; border: 1px solid var(--muted); border-radius: 6px; }
.search .hits { margin-top: .5rem; }
.score { color: var(--muted); font-variant-numeric: tabular-nums; }
.nojs-hidden { display: none; }
@media (max-width: 30rem) { body { font-size: 15px; } h1 { font-size: 1.35rem; } }
`

/**
 * The browser half of search: the compiled src/kb/search.js (which has no imports) turned into
 * a classic script, so the site ranks exactly like `doctor explain` and works from file://.
 */
export function searchScript(): string {
  // Next to this file once built (dist/src/kb/), or in dist/ when running from source (tests).
  const candidates = [
    new URL('../search.js', import.meta.url),
    new URL('../../../dist/src/kb/search.js', import.meta.url),
  ].map((u) => fileURLToPath(u))
  const file = candidates.find((f) => existsSync(f))
  if (!file)
    throw new Error(`cannot find the compiled search module (looked in ${candidates.join(', ')}); run npm run build`)
  const compiled = readFileSync(file, 'utf8')
  const body = compiled.replace(/^\/\/# sourceMappingURL=.*$/m, '').replace(/^export /gm, '')
  return `(function () {\n"use strict";\n${body}\nwindow.doctorSearch = {search: search, normalize: normalize};\n})();\n${UI}`
}

const UI = `
(function () {
  var data = document.getElementById('kb-index');
  var input = document.getElementById('q');
  var out = document.getElementById('hits');
  if (!data || !input || !out) return;
  var index = JSON.parse(data.textContent);
  document.querySelectorAll('.nojs-hidden').forEach(function (el) { el.classList.remove('nojs-hidden'); });
  function render() {
    var q = input.value;
    out.textContent = '';
    if (!q.trim()) return;
    var hits = window.doctorSearch.search(index, q, 8);
    if (!hits.length) { out.textContent = 'No entry matches. Try the exact error text, or fewer words.'; return; }
    var ol = document.createElement('ol');
    hits.forEach(function (h) {
      var li = document.createElement('li');
      var a = document.createElement('a');
      a.href = 'entries/' + h.id + '.html';
      a.textContent = h.title;
      var s = document.createElement('span');
      s.className = 'score';
      s.textContent = ' ' + Math.round(h.score * 100) + '%';
      li.appendChild(a); li.appendChild(s);
      ol.appendChild(li);
    });
    out.appendChild(ol);
  }
  input.addEventListener('input', render);
  var params = new URLSearchParams(location.search);
  if (params.get('q')) { input.value = params.get('q'); render(); }
})();
`

/** JSON inside <script>: escape what could end the element or break older JS parsers. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}
