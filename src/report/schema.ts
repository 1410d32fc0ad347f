import {z} from 'zod'
import {AREAS, STATUSES} from '../engine/check.js'

/**
 * The versioned `--json` report. Its JSON Schema is committed as report.schema.json and a test
 * fails when the two drift apart (bump REPORT_SCHEMA_VERSION on breaking changes).
 */
export const REPORT_SCHEMA_VERSION = 1

const status = z.enum(STATUSES)

const netError = z.object({
  kind: z.enum([
    'refused',
    'dns',
    'connect-timeout',
    'timeout',
    'reset',
    'tls',
    'aborted',
    'invalid-url',
    'protocol',
    'other',
  ]),
  code: z.string().optional(),
  message: z.string(),
  hint: z.string().optional(),
})

export const exchangeSchema = z.object({
  purpose: z.string(),
  method: z.string(),
  url: z.string(),
  status: z.number().int().optional(),
  durationMs: z.number(),
  startedAt: z.number().meta({description: 'Epoch milliseconds'}),
  requestHeaders: z.record(z.string(), z.string()),
  responseHeaders: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
  bodyBytes: z.number().int().optional(),
  truncated: z.boolean().optional(),
  bodySnippet: z.string().optional(),
  error: netError.optional(),
})

const cause = z.object({
  kb: z.string().optional().meta({description: 'Knowledge-base entry id, or entry-id#cause-id'}),
  summary: z.string(),
  fix: z.array(z.string()),
  verify: z.array(z.string()),
  vars: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .meta({description: 'The values the check filled into the knowledge-base text of this cause'}),
})

export const resultSchema = z.object({
  id: z.string(),
  title: z.string(),
  area: z.enum(AREAS),
  status,
  message: z.string(),
  durationMs: z.number(),
  kb: z.array(z.string()),
  cause: cause.optional(),
  evidence: z
    .object({
      observed: z.unknown().optional(),
      expected: z.unknown().optional(),
      notes: z.array(z.string()).optional(),
      exchanges: z.array(exchangeSchema).optional(),
    })
    .optional(),
  items: z.array(z.object({label: z.string(), status, message: z.string()})).optional(),
})

const counts = z.object(
  Object.fromEntries(STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof STATUSES)[number], z.ZodNumber>,
)

export const reportSchema = z.object({
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({name: z.literal('doctor'), version: z.string()}),
  startedAt: z.string().meta({description: 'ISO 8601'}),
  durationMs: z.number(),
  verdict: z
    .enum(['pass', 'warn', 'fail'])
    .meta({description: 'fail when any result is fail, error or timeout; warn when any is warn'}),
  failOn: z.enum(['warn', 'fail']),
  exitCode: z.union([z.literal(0), z.literal(1)]),
  environment: z.object({
    node: z.string(),
    platform: z.string(),
    arch: z.string(),
    release: z.string().optional().meta({description: 'OS kernel release (os.release())'}),
  }),
  config: z.object({
    path: z.string().nullable(),
    targets: z.array(z.string()).meta({description: 'Origins doctor talked to'}),
    values: z.unknown().meta({description: 'The effective config, secrets redacted'}),
  }),
  options: z.object({
    concurrency: z.number().int(),
    checkTimeoutMs: z.number().int(),
    timeoutMs: z.number().int(),
    ca: z.string().nullable(),
    insecure: z.boolean(),
    allowWrites: z
      .boolean()
      .optional()
      .meta({description: 'State-changing test requests were allowed (--allow-writes)'}),
  }),
  warnings: z.array(z.string()),
  summary: counts.extend({total: z.number().int()}),
  results: z.array(resultSchema),
  http: z.object({
    requests: z.number().int(),
    distinctUrls: z.number().int(),
    exchanges: z.array(exchangeSchema),
  }),
  redactions: z
    .array(z.object({kind: z.string(), count: z.number().int()}))
    .meta({description: 'What was redacted, by kind; never the values'}),
})

export type Report = z.infer<typeof reportSchema>
export type ReportResult = z.infer<typeof resultSchema>

export function reportJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://doctor.invalid/schema/report.schema.json',
    title: 'doctor report',
    ...(z.toJSONSchema(reportSchema, {unrepresentable: 'any'}) as Record<string, unknown>),
  }
}
