#!/usr/bin/env node
import module from 'node:module'

// Node >= 22.1 caches compiled code on disk, which makes every later start faster.
module.enableCompileCache?.()
const {execute} = await import('@oclif/core')

await execute({dir: import.meta.url})
// A check that was abandoned at its deadline may still hold a socket or timer; the run is over,
// so do not let it keep the process alive. (unref: this timer never delays a clean exit.)
setTimeout(() => process.exit(), 500).unref()
