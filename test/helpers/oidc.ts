/**
 * panva's oidc-provider (a certified OpenID Provider), version 8 for Node 20, on 127.0.0.1: the
 * sandbox's implementation (src/sandbox/idp.ts), started here with its development defaults
 * (published signing keys, a fixed cookie key).
 */
// oidc-provider announces its development defaults on every start; the tests use them on purpose.
const warn = console.warn.bind(console)
const info = console.info.bind(console)
const quiet =
  (print: (...args: unknown[]) => void) =>
  (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider')) print(...args)
  }
console.warn = quiet(warn)
console.info = quiet(info)
console.log = quiet(console.log.bind(console))

export {type Idp as TestIdp, type IdpClient, type IdpUser, page, readBody, startIdp} from '../../src/sandbox/idp.js'
