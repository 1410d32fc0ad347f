#!/usr/bin/env node
import {execute} from '@oclif/core'

await execute({dir: import.meta.url})
// A check that was abandoned at its deadline may still hold a socket or timer; the run is over,
// so do not let it keep the process alive. (unref: this timer never delays a clean exit.)
setTimeout(() => process.exit(), 500).unref()
