// Constants that checks need at import time. Kept free of zod so that `doctor list` (which
// imports every check for its metadata) does not pay for the schema library.

/** Clock tolerances in seconds that a typical deployment depends on; config may add or override. */
export const DEFAULT_TOLERANCES = {oidcLeeway: 30, totpStep: 30, webhook: 300} as const
