import {createInterface} from 'node:readline/promises'
import {UsageError} from '../errors.js'
import type {Profile} from './profiles.js'
import {normaliseValue, type Values} from './render.js'
import {VARIABLES} from './variables.js'

interface Streams {
  input: NodeJS.ReadableStream & {isTTY?: boolean}
  output: NodeJS.WritableStream & {isTTY?: boolean}
}

/** Ask only a person at a terminal: both streams are TTYs and CI is not set (design.md: never prompt in CI or from a pipe). */
export function canPrompt(streams: Streams, env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== '0' && env.CI.toLowerCase() !== 'false'
  return Boolean(streams.input.isTTY && streams.output.isTTY) && !ci
}

/** The variables this profile uses that no flag gave. */
export function missingValues(profile: Profile, values: Values): typeof VARIABLES {
  return VARIABLES.filter((v) => profile.template.includes(`\${${v.env}:-`) && !values[v.flag]?.trim())
}

/**
 * Ask for each missing value, one line each; an empty answer keeps the placeholder. A wrong
 * value is asked again (twice at most), so a typo does not end the session.
 */
export async function askMissing(profile: Profile, values: Values, streams: Streams): Promise<Values> {
  const missing = missingValues(profile, values)
  if (missing.length === 0) return values
  const rl = createInterface({input: streams.input, output: streams.output, terminal: true})
  // Ctrl-C or Ctrl-D ends the questions instead of leaving a paused prompt behind.
  const stop = new AbortController()
  rl.on('SIGINT', () => stop.abort())
  rl.on('close', () => stop.abort())
  const answers: Values = {...values}
  try {
    streams.output.write(`Values for the ${profile.name} profile (Enter leaves a placeholder you can fill in later):\n`)
    for (const variable of missing) {
      const question = profile.prompts[variable.flag] ?? variable.key
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = (
          await rl.question(`${question}\n  --${variable.flag}: `, {signal: stop.signal}).catch(() => {
            throw new UsageError(
              'Stopped at the prompt; nothing was written. Give the values with flags (see `doctor init --help`) to skip the questions.',
            )
          })
        ).trim()
        if (answer === '') break
        try {
          answers[variable.flag] = normaliseValue(variable, answer)
          break
        } catch (error) {
          if (!(error instanceof UsageError)) throw error
          streams.output.write(`  ${error.message}\n`)
        }
      }
    }
  } finally {
    rl.close()
  }
  return answers
}
