import {Command, Errors} from '@oclif/core'
import {formatUserError, InternalError, UsageError} from '../errors.js'

/** Something that can refuse output carrying a secret (the session's redactor). */
interface OutputGuard {
  assertClean(output: string | Uint8Array, where?: string): void
}

/**
 * Every doctor command: errors become one paragraph on stderr and an exit code (2 usage or
 * config, 3 internal), and JSON output passes the redactor's last check before it is written.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true
  protected guard?: OutputGuard

  override logJson(json: unknown): void {
    const text = JSON.stringify(json, null, 2)
    this.guard?.assertClean(text, 'standard output')
    process.stdout.write(`${text}\n`)
  }

  /** What the shared diagnosis needs from the command: JSON mode, version, the guarded printer. */
  protected output() {
    return {
      json: this.jsonEnabled(),
      version: this.config.version,
      print: (text: string) => this.print(text),
      setGuard: (guard: OutputGuard) => {
        this.guard = guard
      },
    }
  }

  /** Human output goes through here so the same guard applies. */
  protected print(text: string): void {
    this.guard?.assertClean(text, 'standard output')
    process.stdout.write(text)
  }

  /** The command as users type it: topics are separated by spaces ("webhook verify"), not oclif's colons. */
  private commandName(): string {
    return (this.id ?? '').replace(/:/g, ' ')
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<never> {
    if (error instanceof Errors.ExitError) throw error
    let code = 3
    let message: string
    if (error instanceof UsageError) {
      code = 2
      message = formatUserError(error)
    } else if (error instanceof InternalError) {
      message = error.message
    } else if (/^Parsing --[\w-]+/.test(error.message)) {
      // oclif rethrows a custom flag parser's error as a plain Error("Parsing --flag \n\t<reason>").
      code = 2
      const [, flag, reason] =
        /^Parsing (--[\w-]+)\s*\n?\s*([\s\S]*?)(?:\nSee more help with --help)?$/.exec(error.message) ?? []
      message = `Invalid value for ${flag}: ${reason?.trim() ?? error.message}\nSee \`doctor ${this.commandName()} --help\`.`
    } else if (error instanceof Errors.CLIError) {
      // Flag and argument parsing errors from oclif.
      code = 2
      message = `${error.message.replace(/\n\s*See more help with --help$/, '')}\nSee \`doctor ${this.commandName()} --help\`.`
    } else {
      message = `doctor hit an internal error and stopped: ${error.message}. This is a bug; please report it${process.env.DEBUG ? '' : ' (set DEBUG=1 to include the stack trace)'}.`
      if (process.env.DEBUG) message += `\n${error.stack}`
    }
    process.stderr.write(`Error: ${message}\n`)
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({error: {exitCode: code, message}}, null, 2)}\n`)
    this.exit(code)
  }
}
