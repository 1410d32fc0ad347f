import {Flags} from '@oclif/core'
import {FORMATS} from '../report/formats.js'
import {parseDuration} from '../util/duration.js'

/**
 * The longest time limit a timer can hold (2^31 - 1 ms, about 24.8 days). Node fires a longer
 * setTimeout or AbortSignal.timeout after 1 ms instead, so `--timeout 30d` would end the run at
 * once, and a value past 2^53 is not even an integer the report's schema accepts.
 */
const MAX_TIMER_MS = 2 ** 31 - 1

const duration = Flags.custom<number>({
  parse: async (input) => {
    const ms = parseDuration(input)
    if (ms === undefined) throw new Error(`"${input}" is not a duration; use e.g. 10s, 500ms or 2m`)
    if (ms > MAX_TIMER_MS) throw new Error(`"${input}" is longer than doctor can wait; use at most 24d`)
    return ms
  },
})

export const configFlag = {
  config: Flags.string({
    char: 'c',
    summary: 'Config file (default: $DOCTOR_CONFIG, then ./doctor.yaml, doctor.yml, doctor.json).',
    helpValue: 'FILE',
  }),
}

/** Flags shared by every command that runs checks. */
export const runFlags = {
  ...configFlag,
  'fail-on': Flags.option({
    options: ['warn', 'fail'] as const,
    default: 'fail' as const,
    summary: 'Lowest status that makes the exit code 1.',
  })(),
  concurrency: Flags.integer({min: 1, max: 64, default: 4, summary: 'Checks run at once.'}),
  'check-timeout': duration({
    summary:
      'Time limit per check (10s, 500ms, 2m). Default 10s, or what a check needs when that is more (viewport-overflow: 45s); checks.<id>.timeout in doctor.yaml wins.',
    helpValue: 'DURATION',
  }),
  timeout: duration({default: 60_000, summary: 'Deadline for the whole run.', helpValue: 'DURATION'}),
  ca: Flags.string({
    summary: 'PEM file of extra CA certificates to trust (TLS verification stays on).',
    helpValue: 'FILE',
  }),
  insecure: Flags.boolean({
    default: false,
    summary: 'Skip TLS certificate verification (prints a warning; recorded in the report).',
  }),
  'allow-writes': Flags.boolean({
    default: false,
    summary:
      'Let checks send requests that change state where the config lists them (webhook test events); otherwise they only read.',
  }),
  'redact-emails': Flags.boolean({
    default: false,
    summary: 'Also replace email addresses in everything doctor prints or writes.',
  }),
}

/** Where and how a report is written: shared by `doctor all`, `doctor run`, `doctor demo` and `doctor analyze`. */
export const outputFlags = {
  format: Flags.option({
    options: FORMATS,
    summary: 'Report format: text (default), json, markdown (GitHub issues) or junit (CI test views).',
  })(),
  output: Flags.string({
    char: 'o',
    summary:
      'Write the report to FILE (its extension picks the format unless --format is given); the text summary still goes to stdout. "-" means stdout.',
    helpValue: 'FILE',
  }),
}
