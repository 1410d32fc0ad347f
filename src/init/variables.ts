// The deployment-specific values a profile leaves to the user. Kept free of imports: the
// `init` command reads it for its flags.

export type VariableFlag = 'base-url' | 'issuer' | 'client-id'

export interface Variable {
  /** The `doctor init` flag that gives the value. */
  flag: VariableFlag
  /** The environment variable the written file falls back to: "${DOCTOR_BASE_URL:-…}". */
  env: string
  /** Where the value lands, for messages. */
  key: string
  kind: 'url' | 'text'
}

export const VARIABLES: readonly Variable[] = [
  {flag: 'base-url', env: 'DOCTOR_BASE_URL', key: 'target.baseUrl', kind: 'url'},
  {flag: 'issuer', env: 'DOCTOR_OIDC_ISSUER', key: 'oidc.issuer', kind: 'url'},
  {flag: 'client-id', env: 'DOCTOR_OIDC_CLIENT_ID', key: 'oidc.clientId', kind: 'text'},
]
