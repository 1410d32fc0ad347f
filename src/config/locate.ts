import {existsSync} from 'node:fs'
import {resolve} from 'node:path'
import {ConfigError} from '../errors.js'

export const DEFAULT_CONFIG_FILES = ['doctor.yaml', 'doctor.yml', 'doctor.json']

/** -c flag, then DOCTOR_CONFIG, then doctor.yaml/.yml/.json in the working directory. Cheap: no parsing. */
export function resolveConfigPath(
  flag: string | undefined,
  env = process.env,
  cwd = process.cwd(),
): string | undefined {
  const explicit = flag ?? env.DOCTOR_CONFIG
  if (explicit) {
    const p = resolve(cwd, explicit)
    if (!existsSync(p))
      throw new ConfigError(
        `Config file ${explicit} does not exist${flag ? '' : ' (from DOCTOR_CONFIG)'}. Pass an existing file with -c, or create one (see README "Configuration").`,
      )
    return p
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const p = resolve(cwd, name)
    if (existsSync(p)) return p
  }
  return undefined
}
