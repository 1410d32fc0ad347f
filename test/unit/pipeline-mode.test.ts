import type {FilledOutcome} from '../../src/kb/cause.js'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import pipelineMode from '../../checks/pipeline-mode.js'
import {makeContext, runCheck} from '../helpers/context.js'

/** A checkout with CI definitions in the shapes pipelines use: GitHub Actions, GitLab CI, a shell script. */
let root: string
const CANARY = 'rp_canary-pipeline-mode-8f3e'

const files: Record<string, string> = {
  'server/.github/workflows/release.yml': `jobs:
  gate:
    steps:
      - run: |
          releasepassport gate \\
            --service checkout \\
            --api-url https://release-passport.example.com
`,
  'server/.gitlab-ci.yml': `gate:
  script:
    - "npx releasepassport gate --api-url=$RP_API_URL --service checkout"
    - releasepassport gate --api-url \${{ vars.RP_API_URL }}
  # releasepassport gate   (a comment is no invocation)
`,
  'local/.github/workflows/release.yml': `jobs:
  gate:
    steps:
      - run: releasepassport gate --service checkout --environment production && echo --api-url
      - name: folded
        run: >
          ./bin/releasepassport gate
          --service checkout
          --api-url https://release-passport.example.com
`,
  'local/.gitlab-ci.yml': `gate:
  script:
    - releasepassport gate --api-url "" --service checkout
    - releasepassport gate --service checkout --api-url
    - releasepassport gate --api-url "$EMPTY_URL"
`,
  'other/ci.yml': 'jobs: {build: {steps: [{run: make build}]}}\n',
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'doctor-pipeline-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), {recursive: true})
    writeFileSync(join(root, path), text)
  }
})
afterAll(() => rmSync(root, {recursive: true, force: true}))

async function check(
  pipeline: Record<string, unknown> | undefined,
  env: NodeJS.ProcessEnv = {},
): Promise<FilledOutcome> {
  const ctx = makeContext(pipeline ? {pipeline} : {}, {}, env)
  try {
    return await runCheck(pipelineMode, ctx)
  } finally {
    await ctx.close()
  }
}

describe('pipeline-mode', () => {
  it('every gate in server mode (continuations, =value, quoted, CI variables): pass with one item per invocation', async () => {
    const o = await check(
      {root: join(root, 'server'), files: ['.github/workflows/*.yml', '.gitlab-ci.yml']},
      {RP_API_URL: 'https://rp.example.com'},
    )
    expect(o.status, o.message).toBe('pass')
    expect(o.items?.map((i) => `${i.label}:${i.status}`)).toEqual([
      '.github/workflows/release.yml:5:pass',
      '.gitlab-ci.yml:3:pass',
      '.gitlab-ci.yml:4:pass',
    ])
    expect(o.message).toMatch(
      /^all 3 gate invocations in 2 files run in server mode \(--api-url\); \.gitlab-ci\.yml:4: the URL comes from \$\{\{ vars\.RP_API_URL \}\}, resolved by the CI system$/,
    )
  })

  it('a variable not set where doctor runs: still server mode, with a note', async () => {
    const o = await check({root: join(root, 'server'), files: ['.gitlab-ci.yml']})
    expect(o.status).toBe('pass')
    expect(o.message).toContain('the URL comes from RP_API_URL, which the CI job must set')
  })

  it('gates without --api-url: no-api-url, each with file:line; && ends a command, folded flags count', async () => {
    const o = await check({root: join(root, 'local'), files: ['**/*.yml']}, {EMPTY_URL: ' '})
    expect(o.status).toBe('fail')
    expect(o.cause?.kb).toBe('pipeline-local-mode#no-api-url')
    expect(o.items?.map((i) => `${i.label}:${i.status}:${i.message}`)).toEqual([
      '.github/workflows/release.yml:4:fail:no --api-url',
      '.github/workflows/release.yml:7:pass:--api-url https://release-passport.example.com',
      '.gitlab-ci.yml:3:fail:--api-url without a value',
      '.gitlab-ci.yml:4:fail:--api-url without a value',
      '.gitlab-ci.yml:5:fail:--api-url $EMPTY_URL, and EMPTY_URL is empty in this environment',
    ])
    expect(o.message).toMatch(
      /^4 of 5 gate invocations run in local mode: \.github\/workflows\/release\.yml:4 \(no --api-url\); /,
    )
    expect(o.cause?.fix[0]).toContain('.github/workflows/release.yml:4, .gitlab-ci.yml:3')
  })

  it('a custom command and flag', async () => {
    const o = await check({root: join(root, 'other'), files: ['ci.yml'], command: 'make build', flag: '--server'})
    expect(o.status).toBe('fail')
    expect(o.items).toEqual([{label: 'ci.yml:1', status: 'fail', message: 'no --server'}])
  })

  it('files that run no gate: skip naming the files', async () => {
    const o = await check({root: join(root, 'other'), files: ['*.yml']})
    expect(o.status).toBe('skip')
    expect(o.message).toMatch(/none of the 1 pipeline file \(ci\.yml\) runs `releasepassport gate`/)
  })

  it('globs that match nothing: a clear skip, no crash', async () => {
    const o = await check({root: join(root, 'nowhere'), files: ['.github/workflows/*.yml', '.gitlab-ci.yml']})
    expect(o.status).toBe('skip')
    expect(o.message).toMatch(
      /^no file matches pipeline\.files \(\.github\/workflows\/\*\.yml, \.gitlab-ci\.yml\) under .*nowhere: nothing to read/,
    )
  })

  it('an absolute pattern works without root; one unmatched pattern among matches is a note', async () => {
    const o = await check(
      {files: [join(root, 'server', '.gitlab-ci.yml'), join(root, 'server', 'Jenkinsfile')]},
      {RP_API_URL: 'x'},
    )
    expect(o.status).toBe('pass')
    expect(o.evidence?.notes?.[0]).toMatch(/No file matches .*Jenkinsfile/)
  })

  it('a variable value from the environment is judged, never printed', async () => {
    const o = await check({root: join(root, 'server'), files: ['.gitlab-ci.yml']}, {RP_API_URL: CANARY})
    expect(o.status).toBe('pass')
    expect(JSON.stringify(o)).not.toContain(CANARY)
  })

  it('no pipeline section: skipped', async () => {
    expect((await check(undefined)).status).toBe('skip')
  })
})
