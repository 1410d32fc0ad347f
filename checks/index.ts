import type {Check} from '../src/engine/check.js'
import clockSkew from './clock-skew.js'
import readiness from './readiness.js'

/**
 * The explicit registry, sorted by id (ESLint's lib/rules/index.js). A test keeps it in step
 * with the files in this folder. Check modules stay light at import time: anything heavy is
 * imported inside run(), so `doctor list` stays fast.
 */
export const checks: readonly Check[] = [clockSkew, readiness]
