import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {basename, isAbsolute, join} from 'node:path'
import {UsageError} from '../errors.js'
import type {ExchangeRecord} from '../http/types.js'
import {type OutputGuard, writeGuarded} from './output.js'
import {renderJUnit} from './render-junit.js'
import {renderMarkdown} from './render-markdown.js'
import type {Report} from './schema.js'

/** A support bundle: the report plus raw evidence, every file scanned before it is written. */
export interface BundleFile {
  path: string
  content: string | Buffer
}

export interface BundleSummary {
  target: string
  files: Array<{path: string; bytes: number}>
  redactions: Array<{kind: string; count: number}>
}

const MARKER = /‹redacted:([^›]+):[0-9a-f]{4}›/g
const IMAGE = /\.(png|jpe?g|webp)$/i
const MAX_SCREENSHOTS = 20
const MAX_SCREENSHOT_BYTES = 5 * 1024 * 1024

export function isArchivePath(target: string): boolean {
  return /\.(tar\.gz|tgz)$/i.test(target)
}

/** The files of a bundle, in the order they are written. Pure apart from reading screenshots. */
export function bundleFiles(report: Report): BundleFile[] {
  const files: BundleFile[] = [
    {path: 'report.md', content: renderMarkdown(report)},
    {path: 'report.json', content: `${JSON.stringify(report, null, 2)}\n`},
    {path: 'junit.xml', content: renderJUnit(report)},
    {path: 'evidence/http.har', content: `${JSON.stringify(toHar(report), null, 2)}\n`},
  ]
  report.results.forEach((r, i) => {
    if (r.status === 'skip') return
    files.push({
      path: `evidence/${String(i + 1).padStart(2, '0')}-${r.id}.json`,
      content: `${JSON.stringify(r, null, 2)}\n`,
    })
  })
  const notScanned: string[] = []
  for (const shot of screenshots(report)) {
    const name = `screenshots/${basename(shot)}`
    if (files.some((f) => f.path === name)) continue
    files.push({path: name, content: readFileSync(shot)})
    notScanned.push(
      `${name}: an image as the browser rendered it; doctor scans its bytes for known secrets but cannot redact text drawn in pixels, so look at it before attaching`,
    )
  }
  files.push({
    path: 'redactions.json',
    content: `${JSON.stringify(redactionIndex(report, files, notScanned), null, 2)}\n`,
  })
  return files
}

/**
 * Write the bundle to a folder (created, or existing and empty unless `force`) or to a
 * .tar.gz archive. Every file passes the guard first; if one is refused, nothing is written.
 */
export async function writeBundle(
  target: string,
  report: Report,
  guard: OutputGuard,
  options: {force?: boolean} = {},
): Promise<BundleSummary> {
  const files = bundleFiles(report)
  for (const f of files) guard.assertClean(f.content, `${target}/${f.path}`)
  const summary: BundleSummary = {
    target,
    files: files.map((f) => ({path: f.path, bytes: Buffer.byteLength(f.content)})),
    redactions: report.redactions,
  }
  if (isArchivePath(target)) {
    if (existsSync(target) && !options.force)
      throw new UsageError(`${target} already exists. Pass --force to replace it, or choose another name.`)
    const archive = await tarGz(files, basename(target).replace(/\.(tar\.gz|tgz)$/i, ''))
    writeGuarded(target, archive, guard)
    return summary
  }
  if (existsSync(target)) {
    if (!statSync(target).isDirectory())
      throw new UsageError(
        `${target} exists and is not a folder. Give --bundle a new folder name, or a name ending in .tar.gz for an archive.`,
      )
    if (readdirSync(target).length > 0 && !options.force)
      throw new UsageError(
        `The folder ${target} is not empty. Pass --force to write the bundle into it anyway, or choose a new folder.`,
      )
  }
  for (const f of files) writeGuarded(join(target, f.path), f.content, guard)
  return summary
}

async function tarGz(files: BundleFile[], root: string): Promise<Buffer> {
  const [{pack}, {createGzip}] = await Promise.all([import('tar-stream'), import('node:zlib')])
  const tar = pack()
  const gzip = createGzip()
  const chunks: Buffer[] = []
  gzip.on('data', (c: Buffer) => chunks.push(c))
  const done = new Promise<void>((resolve, reject) => {
    gzip.on('end', resolve)
    gzip.on('error', reject)
    tar.on('error', reject)
  })
  tar.pipe(gzip)
  const mtime = new Date()
  for (const f of files)
    tar.entry(
      {name: `${root}/${f.path}`, mode: 0o644, mtime},
      typeof f.content === 'string' ? Buffer.from(f.content) : f.content,
    )
  tar.finalize()
  await done
  return Buffer.concat(chunks)
}

/** Screenshot files named anywhere in the evidence (the viewport check saves one per failing page). */
function screenshots(report: Report): string[] {
  const found: string[] = []
  const visit = (v: unknown): void => {
    if (found.length >= MAX_SCREENSHOTS) return
    if (typeof v === 'string') {
      if (isAbsolute(v) && IMAGE.test(v) && existsSync(v) && statSync(v).size <= MAX_SCREENSHOT_BYTES) found.push(v)
    } else if (Array.isArray(v)) v.forEach(visit)
    else if (v && typeof v === 'object') Object.values(v).forEach(visit)
  }
  for (const r of report.results) visit(r.evidence?.observed)
  return [...new Set(found)]
}

/** Markers in a text, as {kind: count}: the only record of a redaction that is written. */
export function countMarkers(text: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const m of text.matchAll(MARKER)) counts[m[1]] = (counts[m[1]] ?? 0) + 1
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
}

/** What was redacted where, by kind and count, counted from the markers in what is written. */
function redactionIndex(report: Report, files: BundleFile[], notScanned: string[]) {
  const places = [
    {where: 'config.values', redactions: countMarkers(JSON.stringify(report.config.values ?? null))},
    ...report.results.map((r) => ({where: `results.${r.id}`, redactions: countMarkers(JSON.stringify(r))})),
    {where: 'http.exchanges', redactions: countMarkers(JSON.stringify(report.http.exchanges))},
  ].filter((p) => Object.keys(p.redactions).length > 0)
  return {
    note: "What doctor replaced before writing this bundle: kind and count, per file and per place in the report, never the value. Each ‹redacted:kind:fingerprint› marker carries 4 hex digits of the value's SHA-256, so two mentions of one secret can be matched without revealing it.",
    session: Object.fromEntries(report.redactions.map((r) => [r.kind, r.count])),
    files: files
      .filter((f) => typeof f.content === 'string')
      .map((f) => ({file: f.path, redactions: countMarkers(f.content as string)})),
    places,
    notScanned,
  }
}

/** The recorded exchanges as a HAR 1.2 log, which browsers' devtools and HAR viewers open. */
function toHar(report: Report) {
  const list = (headers: Record<string, string | string[]>) =>
    Object.entries(headers).flatMap(([name, v]) => (Array.isArray(v) ? v : [v]).map((value) => ({name, value})))
  return {
    log: {
      version: '1.2',
      creator: {name: 'doctor', version: report.tool.version},
      pages: [],
      entries: report.http.exchanges.map((e: ExchangeRecord) => {
        const contentType = headerValue(e.responseHeaders, 'content-type') ?? ''
        return {
          startedDateTime: new Date(e.startedAt).toISOString(),
          time: e.durationMs,
          request: {
            method: e.method,
            url: e.url,
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: list(e.requestHeaders),
            queryString: query(e.url),
            headersSize: -1,
            bodySize: -1,
          },
          response: {
            status: e.status ?? 0,
            statusText: e.error ? `${e.error.kind}: ${e.error.message}` : '',
            httpVersion: 'HTTP/1.1',
            cookies: [],
            headers: list(e.responseHeaders),
            content: {
              size: e.bodyBytes ?? 0,
              mimeType: contentType,
              ...(e.bodySnippet ? {text: e.bodySnippet, comment: 'first 2 KiB, redacted'} : {}),
            },
            redirectURL: headerValue(e.responseHeaders, 'location') ?? '',
            headersSize: -1,
            bodySize: e.bodyBytes ?? -1,
          },
          cache: {},
          timings: {send: 0, wait: e.durationMs, receive: 0},
          comment: e.purpose,
        }
      }),
    },
  }
}

function headerValue(headers: Record<string, string | string[]>, name: string): string | undefined {
  const v = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1]
  return Array.isArray(v) ? v[0] : v
}

function query(url: string): Array<{name: string; value: string}> {
  try {
    return [...new URL(url).searchParams].map(([name, value]) => ({name, value}))
  } catch {
    return []
  }
}
