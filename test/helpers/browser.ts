import {existsSync} from 'node:fs'
import type {Browser} from 'playwright-core'

/** The system Chromium (Debian package `chromium`), or $CHROMIUM_PATH. */
export function chromiumPath(): string | undefined {
  const candidates = [
    process.env.CHROMIUM_PATH,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
  ]
  return candidates.find((p): p is string => Boolean(p) && existsSync(p!))
}

/**
 * Launch headless Chromium through playwright-core. Without a browser the caller skips locally,
 * but with CI=true a missing browser is a failure: .ci/run installs it.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath()
  if (!executablePath)
    throw new Error(
      'Chromium not found: install the Debian package `chromium` (apt-get install -y chromium) or set CHROMIUM_PATH',
    )
  const {chromium} = await import('playwright-core')
  // Flags for containers and CI machines: no sandbox (often running as root), /tmp instead of a small /dev/shm.
  return chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    timeout: 30_000,
  })
}

/**
 * Whether tests that need Chromium run here: always under CI=true (a missing browser then fails
 * them), else only when one is installed. Says once, in one line, why they are skipped.
 */
let told = false
export const browserAvailable = (): boolean => {
  const available = Boolean(chromiumPath()) || process.env.CI === 'true'
  if (!available && !told) {
    told = true
    console.info(
      'skipped: tests that need Chromium (not found; apt-get install -y chromium, or set CHROMIUM_PATH; with CI=true they fail instead)',
    )
  }
  return available
}
