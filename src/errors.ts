/**
 * Errors that end a command with a clear, one-paragraph message instead of a stack trace.
 * Exit codes (README "Exit codes"): 2 usage or config error, 3 doctor itself failed.
 */
export class UsageError extends Error {
  readonly exitCode = 2
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Bad config: message names the file and every offending key path. */
export class ConfigError extends UsageError {
  constructor(message: string, details: string[] = []) {
    super(message, details)
    this.name = 'ConfigError'
  }
}

/** doctor refused to continue because continuing would be unsafe (e.g. a secret reached output). */
export class InternalError extends Error {
  readonly exitCode = 3
  constructor(message: string) {
    super(message)
    this.name = 'InternalError'
  }
}

export function formatUserError(err: UsageError): string {
  if (err.details.length === 0) return err.message
  return [err.message, ...err.details.map((d) => `  - ${d}`)].join('\n')
}
