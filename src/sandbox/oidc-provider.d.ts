// oidc-provider 8 ships no type declarations; the sandbox and the tests use a small part of its API.
declare module 'oidc-provider' {
  const Provider: any
  export default Provider
}
