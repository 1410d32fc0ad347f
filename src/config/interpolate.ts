import {isSecretName} from '../redact/redactor.js'

export interface EnvRef {
  path: string
  name: string
  secretName: boolean
}

export interface Interpolated {
  value: unknown
  refs: EnvRef[]
  /** `${VAR}` with VAR unset or empty and no default. */
  missing: Array<{path: string; name: string; state: 'unset' | 'empty'}>
  /** Values that came from env vars with credential-like names. */
  secretValues: Array<{value: string; name: string; path: string}>
}

const REF = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g

export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p
  return out || '(root)'
}

/** `${VAR}` and `${VAR:-default}` in every string value (not keys); `$$` is a literal `$`. */
export function interpolate(input: unknown, env: NodeJS.ProcessEnv = process.env): Interpolated {
  const result: Interpolated = {value: undefined, refs: [], missing: [], secretValues: []}
  const walk = (node: unknown, path: Array<string | number>): unknown => {
    if (typeof node === 'string') {
      return node.replace(REF, (whole, name: string | undefined, fallback: string | undefined) => {
        if (whole === '$$') return '$'
        const p = formatPath(path)
        const raw = env[name!]
        result.refs.push({path: p, name: name!, secretName: isSecretName(name!)})
        if (raw === undefined || raw === '') {
          if (fallback !== undefined) return fallback
          result.missing.push({path: p, name: name!, state: raw === undefined ? 'unset' : 'empty'})
          return ''
        }
        if (isSecretName(name!)) result.secretValues.push({value: raw, name: name!, path: p})
        return raw
      })
    }
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, i]))
    if (node && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, [...path, k])]))
    }
    return node
  }
  result.value = walk(input, [])
  return result
}
