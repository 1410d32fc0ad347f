import {BaseCommand} from '../cli/base.js'
import {configFlag} from '../cli/flags.js'

interface ListedCheck {
  id: string
  area: string
  title: string
  description: string
  kb: string[]
  /** enabled, disabled, or not-configured; unknown when no config was found. */
  state: 'enabled' | 'disabled' | 'not-configured' | 'unknown'
  reason?: string
}

export default class List extends BaseCommand {
  static override summary = 'List the registered checks, their area, and whether the config enables them.'
  static override examples = ['<%= config.bin %> list', '<%= config.bin %> list -c doctor.yaml --json']
  static override flags = configFlag

  async run(): Promise<{config: string | null; checks: ListedCheck[]}> {
    const {flags} = await this.parse(List)
    const {allChecks} = await import('../engine/registry.js')
    const {resolveConfigPath} = await import('../config/locate.js')
    const path = resolveConfigPath(flags.config)
    let reasonFor: ((id: string) => string | undefined) | undefined
    if (path) {
      // Only now pay for zod and yaml: `doctor list` without a config stays fast.
      const {loadConfigFile} = await import('../config/load.js')
      const {skipReason} = await import('../app/session.js')
      const {checkIds} = await import('../engine/registry.js')
      const {config} = loadConfigFile(path, checkIds())
      reasonFor = (id) =>
        skipReason(
          allChecks().find((c) => c.meta.id === id)!,
          config,
        )
    }
    const checks: ListedCheck[] = allChecks().map(({meta}) => {
      const reason = reasonFor?.(meta.id)
      const state = !reasonFor
        ? 'unknown'
        : !reason
          ? 'enabled'
          : reason.startsWith('disabled')
            ? 'disabled'
            : 'not-configured'
      return {
        id: meta.id,
        area: meta.area,
        title: meta.title,
        description: meta.description,
        kb: meta.kb,
        state,
        ...(reason ? {reason} : {}),
      }
    })
    if (!this.jsonEnabled()) {
      const width = Math.max(...checks.map((c) => c.id.length)) + 2
      const lines = checks.map(
        (c) =>
          `${c.id.padEnd(width)}${c.area.padEnd(10)}${(c.state === 'unknown' ? '' : c.state).padEnd(16)}${c.title}${c.reason && c.state !== 'disabled' ? `\n${' '.repeat(width + 26)}(${c.reason})` : ''}`,
      )
      const header = `${'CHECK'.padEnd(width)}${'AREA'.padEnd(10)}${(path ? 'STATE' : '').padEnd(16)}TITLE`
      const footer = path
        ? `\n${checks.filter((c) => c.state === 'enabled').length} of ${checks.length} checks enabled by ${path}\n`
        : `\n${checks.length} checks. No config found, so enabled/disabled is not shown (pass -c FILE).\n`
      this.print(`${header}\n${lines.join('\n')}\n${footer}`)
    }
    return {config: path ?? null, checks}
  }
}
