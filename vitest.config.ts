import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CLI tests run `doctor demo`, which now starts Chromium for viewport-overflow: give them room on a busy runner.
    testTimeout: 60_000,
    hookTimeout: 20_000,
    // Integration tests start servers and child processes; two cores, so keep the pool small.
    pool: 'forks',
    maxWorkers: 2,
  },
})
