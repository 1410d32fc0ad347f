import {existsSync, writeFileSync} from 'node:fs'
import {relative, resolve} from 'node:path'
import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {UsageError} from '../errors.js'
import type {Rendered, Values} from '../init/render.js'

export interface InitResult {
  profile: string
  name: string
  /** The file written, or null with --stdout. */
  output: string | null
  filled: Rendered['filled']
  placeholders: Rendered['placeholders']
  commentedOut: Rendered['commentedOut']
  unused: Rendered['unused']
  enabled: string[]
  notConfigured: Array<{id: string; reason: string}>
  /** The file's text, with --stdout. */
  content?: string
}

export interface ProfileList {
  profiles: Array<{id: string; name: string; summary: string; product?: string}>
}

export default class Init extends BaseCommand {
  static override summary = 'Write a starter doctor.yaml for a product, with its known paths and conventions filled in.'
  static override description = `Profiles carry what each product's troubleshooting page documents: the OIDC callback paths, the health endpoint, the token's header, prefix and environment variable, the billing and license endpoints. Only the deployment's own values are left to you: the base URL, the OIDC issuer and the client id. Give them as flags; at a terminal, doctor asks for the ones you left out (never when stdin or stdout is not a terminal or CI is set, nor with --no-prompt).

A value you do not give stays in the file as "\${DOCTOR_BASE_URL:-https://app.example.invalid}": the file validates as written, the DOCTOR_… environment variable can supply the value later, and the .invalid placeholder host never resolves, so nothing is sent anywhere by mistake. An optional value (the client id) is commented out instead. What a product does not document stays commented out, marked "e.g.". Every section says which check it enables; secrets appear only as environment variable names.

An existing file is never overwritten without --force (exit 2). \`doctor init --list\` shows the profiles.`
  static override examples = [
    '<%= config.bin %> init --list',
    '<%= config.bin %> init --profile rack-gateway --base-url https://gateway.example.com --client-id 1234-abc.apps.googleusercontent.com',
    '<%= config.bin %> init --profile api-test --base-url http://localhost:8080 --issuer https://idp.example.com/realms/main --output ci/doctor.yaml',
    '<%= config.bin %> init --profile generic --stdout > doctor.yaml',
  ]
  static override flags = {
    profile: Flags.string({
      char: 'p',
      summary: 'The product: release-passport, rack-gateway, api-test, secrets-bridge or generic (see --list).',
      helpValue: 'ID',
    }),
    list: Flags.boolean({
      default: false,
      summary: 'List the profiles and what each one fills in, then exit.',
      exclusive: ['profile'],
    }),
    'base-url': Flags.string({
      summary: 'Public URL of the app, as users reach it (target.baseUrl; callback paths are appended to it).',
      helpValue: 'URL',
    }),
    issuer: Flags.string({
      summary: 'OIDC issuer exactly as the app has it, trailing slash included (oidc.issuer).',
      helpValue: 'URL',
    }),
    'client-id': Flags.string({summary: 'OIDC client id the app uses (oidc.clientId).', helpValue: 'ID'}),
    output: Flags.string({char: 'o', default: 'doctor.yaml', summary: 'File to write.', helpValue: 'FILE'}),
    force: Flags.boolean({default: false, summary: 'Overwrite the output file if it exists.'}),
    stdout: Flags.boolean({
      default: false,
      summary: 'Print the file on stdout instead of writing it.',
      exclusive: ['force'],
    }),
    prompt: Flags.boolean({
      default: true,
      allowNo: true,
      summary: 'Ask for missing values at a terminal (--no-prompt never asks).',
    }),
  }

  async run(): Promise<InitResult | ProfileList> {
    const {flags} = await this.parse(Init)
    const {loadProfile, loadProfiles, profileIds} = await import('../init/profiles.js')
    if (flags.list) return this.list(loadProfiles())
    if (!flags.profile) {
      throw new UsageError(
        `Choose a profile with --profile: ${profileIds().join(', ')}. \`doctor init --list\` says what each one fills in.`,
      )
    }
    const profile = loadProfile(flags.profile)
    const path = resolve(flags.output)
    const shown = relative(process.cwd(), path) || path
    const exists = () =>
      new UsageError(
        `${shown} already exists and doctor init does not overwrite it. Pass --force to replace it, --output FILE to write somewhere else, or --stdout to print the new file instead.`,
      )
    // Refuse before asking anything: answering questions only to be turned away is worse.
    if (!flags.stdout && !flags.force && existsSync(path)) throw exists()

    let values: Values = {'base-url': flags['base-url'], issuer: flags.issuer, 'client-id': flags['client-id']}
    const {askMissing, canPrompt} = await import('../init/prompt.js')
    if (flags.prompt && !this.jsonEnabled() && canPrompt({input: process.stdin, output: process.stdout})) {
      values = await askMissing(profile, values, {input: process.stdin, output: process.stdout})
    }
    const {checkRendered, renderProfile} = await import('../init/render.js')
    const {text, ...rendered} = renderProfile(profile, values, this.config.version)
    const checked = await checkRendered(text, flags.stdout ? '(stdout)' : shown)
    const notes = rendered.unused.map(
      (flag) => `--${flag} is not used: the ${profile.name} profile has no place for it.`,
    )

    if (!flags.stdout) {
      try {
        writeFileSync(path, text, {flag: flags.force ? 'w' : 'wx'})
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'EEXIST') throw exists()
        throw new UsageError(`Cannot write ${shown}: ${(error as Error).message}`)
      }
    }
    const result: InitResult = {
      ...rendered,
      name: profile.name,
      output: flags.stdout ? null : path,
      ...checked,
      ...(flags.stdout ? {content: text} : {}),
    }
    for (const note of notes) process.stderr.write(`Note: ${note}\n`)
    if (!this.jsonEnabled()) {
      const summary = `${describe(result, shown).join('\n')}\n`
      // With --stdout, stdout carries the file alone, so it can be piped or redirected.
      if (flags.stdout) {
        this.print(text)
        process.stderr.write(summary)
      } else {
        this.print(summary)
      }
    }
    return result
  }

  private list(profiles: Array<{id: string; name: string; summary: string; product?: string}>): ProfileList {
    const result = {
      profiles: profiles.map(({id, name, summary, product}) => ({id, name, summary, ...(product ? {product} : {})})),
    }
    if (!this.jsonEnabled()) {
      const width = Math.max(...profiles.map((p) => p.id.length))
      this.print(
        `Profiles (doctor init --profile <id>):\n${profiles.map((p) => `  ${p.id.padEnd(width)}  ${p.summary}`).join('\n')}\n`,
      )
    }
    return result
  }
}

function describe(r: InitResult, shown: string): string[] {
  const lines = [r.output ? `Wrote ${shown} (${r.name} profile).` : `${r.name} profile:`]
  if (r.filled.length) lines.push(`Filled in: ${r.filled.map((f) => f.key).join(', ')}.`)
  for (const p of r.placeholders)
    lines.push(
      `${p.placeholder ? 'Placeholder' : 'Default'}: ${p.key} is ${p.example} until you set ${p.env} or edit the file (--${p.flag}).`,
    )
  for (const c of r.commentedOut) lines.push(`Commented out: ${c.key} (give --${c.flag} to fill it in).`)
  lines.push(`Enables ${r.enabled.length} checks: ${r.enabled.join(', ')}.`)
  const file = r.output ? shown : 'doctor.yaml'
  lines.push(`Next: doctor config validate -c ${file}, then doctor all -c ${file}`)
  return lines
}
