/**
 * @module `@workfront-oauth/test-kit/node`: the parts of the kit that need Node — a free loopback port,
 * Debian's headless Chromium and the mock's pages as a person goes through them in it (`signInAtMock`),
 * and the suites' hang guards (`eventually` is on the main entry: workerd tests use it too).
 *
 * Nothing here is a deadline. A test waits for the condition it means; the only bound is the hang guard,
 * which a correct run on a loaded machine never reaches (CI allows 90 minutes for the whole suite).
 */
import { existsSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { chromium } from 'playwright-core'

import { HANG_GUARD } from './hang-guard.js'

// One free-port helper for the repository: it lives with the published `@workfront-oauth/redis-store/testing`,
// which needs it and cannot depend on this private kit (see there).
export { freePort } from '../../../packages/redis-store/src/testing/ports.ts'
export { ACTION_GUARD_MS, HANG_GUARD } from './hang-guard.js'

/** Where Debian's Chromium is (`CHROMIUM_PATH` overrides). */
const CHROMIUM: string = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Headless Chromium's flags here: no sandbox (root in CI), no network of its own beyond the page's. */
const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/**
 * Debian's headless Chromium. Without it the tests fail with how to install it; they never skip. Its
 * start waits as long as the hang guard allows (a loaded machine starts it slowly).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`)
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: HANG_GUARD.testTimeout,
  })
}

/**
 * The Workfront mock's login and consent pages as a person goes through them in Chromium: the username and
 * password, "Sign in", then "Allow". `page` is at the login page, or on its way there.
 */
export async function signInAtMock(page: Page, user: { username: string; password: string }): Promise<void> {
  await page.getByLabel('Username').fill(user.username)
  await page.getByLabel('Password').fill(user.password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Allow' }).click()
}
