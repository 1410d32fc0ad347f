#!/usr/bin/env -S node --experimental-strip-types --no-warnings
// Development entry: same as run.js. Build first (npm run build); commands load from dist/.
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
