/**
 * @module `@workfront-oauth/test-kit/node`: the parts of the kit that need Node — a free loopback port,
 * Debian's headless Chromium, and the suites' hang guards (`eventually` is on the
 * main entry: workerd tests use it too).
 *
 * Nothing here is a deadline. A test waits for the condition it means; the only bound is the hang guard,
 * which a correct run on a loaded machine never reaches (CI allows 90 minutes for the whole suite).
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import type { Browser } from 'playwright-core'
import { chromium } from 'playwright-core'

import { HANG_GUARD } from './hang-guard.js'

export { ACTION_GUARD_MS, HANG_GUARD } from './hang-guard.js'

/**
 * A port that was free on 127.0.0.1 a moment ago, taken below Linux's ephemeral range (32768–60999 by
 * default): outgoing connections (a storm's, another suite's) take their source ports from that range, so a
 * port the OS handed out and took back could be reused by one before the test binds it. Tried by binding.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    if (await canListen(port)) return port
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}

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
