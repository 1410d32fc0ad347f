import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base.js'
import {outputFlags, runFlags} from '../cli/flags.js'
import {
  FAULTS,
  SANDBOX_ARGOCD_TOKEN,
  SANDBOX_ARGOCD_TOKEN_ENV,
  SANDBOX_STORY,
  SANDBOX_WEBHOOK_SECRET,
  SANDBOX_WEBHOOK_SECRET_ENV,
} from '../sandbox/faults.js'

const {config: _config, 'fail-on': _failOn, ...shared} = runFlags

export default class Demo extends BaseCommand {
  static override summary = 'Start the bundled sandbox deployment (with faults) and diagnose it.'
  static override description = `The sandbox runs in this process on loopback ports: ${SANDBOX_STORY}. Faults: ${FAULTS.map((f) => `${f.id} (${f.description})`).join('; ')}. --fixed starts it healthy, and the diagnosis comes out clean. Exit code is 0 unless --fail-on is given.`
  static override examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --fixed',
    '<%= config.bin %> demo --fault redis-down --json',
    '<%= config.bin %> demo --fault token-under-scoped --check api-token',
    '<%= config.bin %> demo --serve > sandbox.yaml',
  ]
  static override flags = {
    ...shared,
    ...outputFlags,
    fixed: Flags.boolean({default: false, summary: 'Start the sandbox with every fault off.', exclusive: ['fault']}),
    fault: Flags.option({
      options: FAULTS.map((f) => f.id),
      multiple: true,
      summary: 'Turn on only these faults (default: all).',
    })(),
    check: Flags.string({
      multiple: true,
      summary: 'Run only these checks against the sandbox (default: every check), e.g. --check api-token.',
      helpValue: 'ID',
    }),
    serve: Flags.boolean({
      default: false,
      summary: 'Keep the sandbox running, print its doctor.yaml on stdout, and wait for Ctrl-C.',
    }),
    'fail-on': Flags.option({
      options: ['warn', 'fail'] as const,
      summary: 'Exit 1 when something is at or above this level (default: always exit 0).',
    })(),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(Demo)
    // An unknown check id is a usage error before anything starts.
    if (flags.check) (await import('../engine/registry.js')).selectChecks(flags.check)
    const {startSandbox} = await import('../sandbox/server.js')
    const faults = flags.fixed ? [] : (flags.fault ?? FAULTS.map((f) => f.id))
    const sandbox = await startSandbox({faults})
    const faultText = faults.length ? faults.join(', ') : 'none (--fixed)'
    const banner = (verb: string) =>
      `${verb} ${SANDBOX_STORY}.\n  app ${sandbox.appUrl} · OpenID Provider ${sandbox.idpUrl}\n  faults: ${faultText}${faults.length ? ' (doctor demo --help says what each one breaks)' : ''}\n`
    if (flags.serve) {
      const {stringify} = await import('yaml')
      process.stderr.write(`${banner('Sandbox running:')}  Ctrl-C stops it.\n`)
      // The two sandbox-wide values are published constants (not secrets of anything real); the
      // config names them by env var, as real configs do, so the shell that runs doctor needs them.
      const exports = `export ${SANDBOX_WEBHOOK_SECRET_ENV}=${SANDBOX_WEBHOOK_SECRET} ${SANDBOX_ARGOCD_TOKEN_ENV}=${SANDBOX_ARGOCD_TOKEN}`
      process.stdout.write(
        `# doctor.yaml for the sandbox. Save it, then in the shell that runs doctor:\n#   ${exports}\n#   doctor all -c sandbox.yaml\n${stringify(sandbox.config)}`,
      )
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await sandbox.stop()
      return {stopped: true}
    }
    try {
      if (!this.jsonEnabled()) process.stderr.write(`${banner('Sandbox started:')}\n`)
      const {validateConfig} = await import('../config/load.js')
      const {checkIds} = await import('../engine/registry.js')
      const {runDiagnosis} = await import('../cli/diagnose.js')
      const loaded = validateConfig(sandbox.config, checkIds(), process.env)
      const report = await runDiagnosis(
        loaded,
        flags.check,
        {...flags, 'fail-on': flags['fail-on'] ?? 'fail'},
        this.output(),
      )
      if (!flags['fail-on']) process.exitCode = 0
      return report
    } finally {
      await sandbox.stop()
    }
  }
}
