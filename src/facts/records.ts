import {type JsonRead, lookup, readJson} from '../expect/expectations.js'
import type {HttpRequest} from '../http/client.js'
import type {Facts} from './facts.js'

export {curlLine} from './wording.js'

/**
 * Lists of records from a JSON API (audit events, agents): the list found at a configured
 * JSONPath or at a well-known key, and fields picked from each record the same way. Shared by
 * the checks that read such lists (`audit-log`, `agent-heartbeat`).
 */

export type RecordsRead =
  | {kind: 'list'; url: string; exchange: JsonRead['exchange']; path: string; records: unknown[]}
  | {kind: 'no-list'; url: string; exchange: JsonRead['exchange']; json: unknown}
  | Exclude<JsonRead, {kind: 'json'}>

/** Keys a list of records usually sits under, normalised (lower case, no separators). */
const LIST_KEYS = ['events', 'items', 'data', 'results', 'records', 'agents', 'auditevents', 'entries']

type JsonPathFn = (options: {path: string; json: object; wrap: true}) => unknown[] | undefined

let jsonPathFn: JsonPathFn | undefined
async function jsonPath(): Promise<JsonPathFn> {
  jsonPathFn ??= (await import('jsonpath-plus')).JSONPath as unknown as JsonPathFn
  return jsonPathFn
}

/** The values at a JSONPath; empty when it matches nothing or cannot be evaluated. */
export async function valuesAt(json: unknown, path: string): Promise<unknown[]> {
  if (json === null || typeof json !== 'object') return []
  try {
    return (await jsonPath())({path, json, wrap: true}) ?? []
  } catch {
    return []
  }
}

/** The list of records in a parsed body: at `itemsPath`, or the body itself, or under a well-known key. */
export async function findList(
  json: unknown,
  itemsPath?: string,
): Promise<{path: string; records: unknown[]} | undefined> {
  if (itemsPath !== undefined) {
    const found = await valuesAt(json, itemsPath)
    if (found.length === 1 && Array.isArray(found[0])) return {path: itemsPath, records: found[0]}
    return found.length > 0 && !found.some(Array.isArray) ? {path: itemsPath, records: found} : undefined
  }
  if (Array.isArray(json)) return {path: '$', records: json}
  for (const key of LIST_KEYS) {
    const field = lookup(json, [key])
    if (field && Array.isArray(field.value)) return {path: field.path, records: field.value}
  }
  return undefined
}

/** GET a JSON list through facts (memoised per URL and headers). */
export async function readRecords(
  facts: Facts,
  req: Pick<HttpRequest, 'url' | 'headers' | 'purpose'>,
  itemsPath?: string,
): Promise<RecordsRead> {
  const read = await readJson(facts, req)
  if (read.kind !== 'json') return read
  const list = await findList(read.json, itemsPath)
  if (!list) return {kind: 'no-list', url: read.url, exchange: read.exchange, json: read.json}
  return {kind: 'list', url: read.url, exchange: read.exchange, ...list}
}

/**
 * The same GET again, later in the run, for data that changes while doctor works (an audit log
 * right after a probe). Memoised per attempt, so each attempt is sent once however many ask.
 */
export async function rereadRecords(
  facts: Facts,
  req: Pick<HttpRequest, 'url' | 'headers' | 'purpose'>,
  attempt: number,
  itemsPath?: string,
): Promise<RecordsRead> {
  const again: Pick<Facts, 'fetch' | 'http'> = {
    http: facts.http,
    fetch: (r) =>
      facts.once(`reread ${attempt} ${r.url} ${JSON.stringify(r.headers ?? {})}`, () =>
        facts.http.request({...r, method: 'GET', signal: facts.signal}),
      ),
  }
  return readRecords(again as Facts, req, itemsPath)
}

/** A field of one record: at `path` (a JSONPath within the record) or the first of `defaults` (normalised dotted keys). */
export async function pick(
  record: unknown,
  path: string | undefined,
  defaults: readonly string[],
): Promise<{path: string; value: unknown} | undefined> {
  if (path !== undefined) {
    const [value] = await valuesAt(record, path)
    return value === undefined ? undefined : {path, value}
  }
  return lookup(record, defaults)
}
