import {type CauseRef, defineCheck, fail, type Item, pass, skip} from '../src/engine/check.js'

const E = 'pipeline-local-mode'
const DEFAULT_COMMAND = 'releasepassport gate'
const DEFAULT_FLAG = '--api-url'

export default defineCheck({
  meta: {
    id: 'pipeline-mode',
    title: 'The pipeline runs the release gate in server mode',
    failureTitle: 'The pipeline runs the release gate in local mode',
    area: 'evidence',
    description:
      'Reads the CI definitions named by pipeline.files (never runs them) and finds every `releasepassport gate` invocation, following line continuations and flags on the next lines. An invocation without `--api-url`, with an empty value, or with a variable that is empty in this environment runs in local mode; each one is reported with its file and line.',
    needs: ['pipeline.files'],
    kb: [`${E}#no-api-url`],
  },
  async run(ctx) {
    const cfg = ctx.config.pipeline
    if (!cfg)
      return skip('no pipeline section in the config: set pipeline.files to the CI definitions that run the gate')
    const {readFiles} = await import('../src/facts/files.js')
    const root = cfg.root ?? process.cwd()
    const set = await readFiles(ctx.facts, root, cfg.files)
    const command = (cfg.command ?? DEFAULT_COMMAND).trim()
    const flag = cfg.flag ?? DEFAULT_FLAG
    const notes = [
      ...(set.unmatched.length > 0 && set.files.length > 0
        ? [`No file matches ${set.unmatched.join(', ')} under ${set.root}.`]
        : []),
      ...set.unreadable.map((u) => `Could not read ${u}.`),
      ...set.files
        .filter((f) => f.truncated)
        .map((f) => `${f.shown} is larger than the size cap; only its start was read.`),
      ...(set.capped ? [`The file search ${set.capped}; list the CI files more precisely in pipeline.files.`] : []),
    ]
    if (set.files.length === 0) {
      if (set.unreadable.length > 0)
        return {
          status: 'error',
          message: `could not read the pipeline files: ${set.unreadable.join('; ')}`,
          evidence: {notes},
        }
      return skip(
        `no file matches pipeline.files (${cfg.files.join(', ')}) under ${set.root}: nothing to read. Check the globs, or pipeline.root when doctor runs outside the repository`,
      )
    }
    const invocations = set.files.flatMap((f) =>
      findInvocations(f.text, command).map((inv) => ({...inv, where: `${f.shown}:${inv.line}`})),
    )
    const scanned = set.files.map((f) => f.shown)
    if (invocations.length === 0) {
      return skip(
        `none of the ${scanned.length} pipeline file${scanned.length === 1 ? '' : 's'} (${scanned.join(', ')}) runs \`${command}\`: nothing to judge. Set pipeline.command if the gate is called differently`,
      )
    }
    const judged = invocations.map((inv) => ({...inv, verdict: judge(inv.args, flag, ctx.facts.env)}))
    const items: Item[] = judged.map((j) => ({
      label: j.where,
      status: j.verdict.ok ? 'pass' : 'fail',
      message: j.verdict.message,
    }))
    const evidence = {
      observed: judged.map((j) => ({
        at: j.where,
        command: `${command} ${j.args.join(' ')}`.trim(),
        serverMode: j.verdict.ok,
      })),
      expected: `every \`${command}\` with ${flag} <runtime API URL>`,
      notes,
    }
    const local = judged.filter((j) => !j.verdict.ok)
    if (local.length === 0) {
      const vars = judged.filter((j) => j.verdict.note).map((j) => `${j.where}: ${j.verdict.note}`)
      return pass(
        `${countOf(judged.length, 'gate invocation')} in ${scanned.length === 1 ? scanned[0] : `${scanned.length} files`} ${judged.length === 1 ? 'runs' : 'run'} in server mode (${flag})${vars.length > 0 ? `; ${vars.join('; ')}` : ''}`,
        {items, evidence},
      )
    }
    const what = local.map((j) => `${j.where} (${j.verdict.message})`).join('; ')
    const message = `${local.length === judged.length ? (judged.length === 1 ? 'the gate invocation runs' : `all ${judged.length} gate invocations run`) : `${local.length} of ${judged.length} gate invocations run`} in local mode: ${what}`
    return fail(
      message,
      cause(
        command,
        flag,
        local.map((j) => j.where),
      ),
      {items, evidence},
    )
  },
})

const countOf = (n: number, what: string): string => `${n === 1 ? 'the' : `all ${n}`} ${what}${n === 1 ? '' : 's'}`

// ---------------------------------------------------------------------------------------------
// Finding invocations

interface Invocation {
  /** 1-based line of the command. */
  line: number
  /** The arguments after the command, unquoted. */
  args: string[]
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Every invocation of `command` in a CI file, with continuation lines joined. Comment lines are ignored. */
function findInvocations(text: string, command: string): Invocation[] {
  const words = command.split(/\s+/).map(escapeRe).join('\\s+')
  const re = new RegExp(`(?:^|[\\s"'\`(;&|/=[{])${words}(?=$|[\\s"'\`);&|}\\]])`)
  const lines = text.split(/\r?\n/)
  const out: Invocation[] = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    if (/^\s*#/.test(line)) continue
    const m = re.exec(line)
    if (!m) continue
    let rest = line.slice(m.index + m[0].length)
    let next = i + 1
    // Shell continuations (\ at the end), then flags on the following lines (folded YAML scalars).
    while (/\\\s*$/.test(rest) && next < lines.length) rest = `${rest.replace(/\\\s*$/, ' ')}${lines[next++]}`
    while (next < lines.length && /^\s*--?[A-Za-z]/.test(lines[next]) && !/^\s*-\s/.test(lines[next]))
      rest = `${rest} ${lines[next++]}`
    out.push({line: i + 1, args: tokenize(rest)})
    i = next - 1
  }
  return out
}

/** Shell-like words up to the end of the command (&&, ||, ;, |, a comment), quotes removed. */
function tokenize(text: string): string[] {
  const words: string[] = []
  let word: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '$' && (text[i + 1] === '{' || text[i + 1] === '(')) {
      // ${VAR}, ${{ ci.expression }}, $(command): one word, spaces and all.
      const close = text.startsWith('${{', i) ? '}}' : text[i + 1] === '{' ? '}' : ')'
      const end = text.indexOf(close, i + 2)
      const stop = end === -1 ? text.length : end + close.length
      word = (word ?? '') + text.slice(i, stop)
      i = stop - 1
    } else if (c === '"' || c === "'") {
      const end = text.indexOf(c, i + 1)
      if (end === -1) continue // an unbalanced quote (the YAML string around the command): drop it
      word = (word ?? '') + text.slice(i + 1, end)
      i = end
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
      if (text[i + 1] === '#') break
    } else if (';|&)`}]'.includes(c)) {
      break
    } else word = (word ?? '') + c
  }
  if (word !== undefined) words.push(word)
  return words
}

// ---------------------------------------------------------------------------------------------
// Judging one invocation

interface Verdict {
  ok: boolean
  message: string
  /** Something doctor cannot see from here (a CI variable). */
  note?: string
}

function judge(args: string[], flag: string, env: NodeJS.ProcessEnv): Verdict {
  const at = args.findIndex((a) => a === flag || a.startsWith(`${flag}=`))
  if (at === -1) return {ok: false, message: `no ${flag}`}
  const arg = args[at]
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[at + 1]
  if (value === undefined || value === '' || (!arg.includes('=') && value.startsWith('-')))
    return {ok: false, message: `${flag} without a value`}
  const variable = /^\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))$/.exec(value)
  if (variable) {
    const name = variable[1] ?? variable[2]
    const seen = env[name]
    if (seen !== undefined && seen.trim() === '')
      return {ok: false, message: `${flag} ${value}, and ${name} is empty in this environment`}
    const note =
      seen === undefined
        ? `the URL comes from ${name}, which the CI job must set (it is not set where doctor runs)`
        : undefined
    return {
      ok: true,
      message: `${flag} ${value}${seen === undefined ? ` (${name} not set here)` : ''}`,
      ...(note ? {note} : {}),
    }
  }
  if (/\$\{\{|\$\(|\$\{/.test(value))
    return {ok: true, message: `${flag} ${value}`, note: `the URL comes from ${value}, resolved by the CI system`}
  return {ok: true, message: `${flag} ${value}`}
}

function cause(command: string, flag: string, where: string[]): CauseRef {
  return {
    kb: `${E}#no-api-url`,
    summary: `Without ${flag}, \`${command}\` runs in local mode, a developer smoke test that does not talk to the Release Passport API: no passport, no connector evidence, no policy result.`,
    fix: [
      `Add ${flag} with the runtime's API URL to the gate step at ${where.join(', ')}, e.g. \`${command} ${flag} https://release-passport.example.com <the arguments it already has>\`; a CI variable works too, as long as the job sets it.`,
      'Give the job its gate token as a CI secret, so server mode can authenticate (doctor explain api-credential-rejected).',
    ],
    verify: [
      '`doctor run pipeline-mode` passes.',
      'The next pipeline run prints a passport ID, and the passport appears in the console with its evidence.',
    ],
  }
}
