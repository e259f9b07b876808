/**
 * The apps of docs/other-frameworks.md walked in a real headless Chromium (Debian's, `/usr/bin/chromium`, or
 * `CHROMIUM_PATH`): sign in through the Workfront mock's login and consent pages, see the projects, one
 * refresh under 10 concurrent API calls (counted at the mock's token endpoint), sign out. The test fails
 * when Chromium is missing: it never skips.
 */
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { ACTION_GUARD_MS, launchChromium, signInAtMock } from '@workfront-oauth/test-kit/node'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, expect } from 'vitest'

/**
 * One Chromium for a test file, and what the file started, closed after its tests in reverse order (this
 * registers the file's `beforeAll`/`afterAll`).
 */
export function chromiumForFile(): { browser(): Browser; closers: Array<() => Promise<void>> } {
  let browser: Browser | undefined
  const closers: Array<() => Promise<void>> = []
  beforeAll(async () => {
    browser = await launchChromium()
  })
  afterAll(async () => {
    for (const close of closers.reverse()) await close()
    await browser?.close()
  })
  return {
    browser() {
      if (!browser) throw new Error('Chromium is not started yet (use it inside a test)')
      return browser
    },
    closers,
  }
}

const RESULTS = fileURLToPath(new URL('../test-results', import.meta.url))
/** Concurrent API calls that find the Workfront session expired: together they refresh it once. */
export const CONCURRENT_CALLS = 10

/** What the walk saw, for the test to assert beside its own checks. */
export interface Walk {
  /** The statuses of the concurrent API calls after the Workfront session expired. */
  concurrentStatuses: number[]
  /** Refresh-token calls the mock counted for them. */
  refreshes: number
}

/**
 * Home ("Sign in with Workfront") → the projects page, signed out: to the mock's login and consent pages →
 * back on the projects page → home (the greeting) → the session expired at the mock, 10 concurrent
 * `fetch('/api/projects')` from the page → "Sign out" → signed out (home offers sign-in again, the API
 * answers 401). `name` names the screenshots.
 */
export async function walkInChromium(
  browser: Browser,
  options: { origin: string; mock: WorkfrontMock; name: string },
): Promise<Walk> {
  const { origin, mock, name } = options
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } })
  const page = await context.newPage()
  page.setDefaultTimeout(ACTION_GUARD_MS)
  await mkdir(RESULTS, { recursive: true })
  try {
    await page.goto(`${origin}/`)
    await page.getByRole('link', { name: 'Sign in with Workfront' }).waitFor()
    // A page that needs a session sends the browser to sign in (the guard), and back there afterwards.
    await page.goto(`${origin}/projects`)
    await page.waitForURL('**/integrations/oauth2/authorize?**')
    await signInAtMock(page, DEMO_USER)

    await page.waitForURL(`${origin}/projects`)
    await expect(page.getByText('Website Redesign (CUR)').isVisible()).resolves.toBe(true)
    await page.goto(`${origin}/`)
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      `Hello ${DEMO_USER.name}`,
    )
    await page.screenshot({ path: `${RESULTS}/${name}-signed-in.png` })

    const before = mock.counters().tokenCalls.refresh_token
    mock.expireAllSessions()
    const concurrentStatuses = await apiStorm(page, CONCURRENT_CALLS)
    const refreshes = mock.counters().tokenCalls.refresh_token - before

    await page.getByRole('button', { name: 'Sign out' }).click()
    // Home again (a form's 303, or a Server Action's redirect that keeps the URL), offering to sign in.
    await page.getByRole('link', { name: 'Sign in with Workfront' }).waitFor()
    expect(new URL(page.url()).pathname).toBe('/')
    expect(await apiStorm(page, 1)).toEqual([401])
    return { concurrentStatuses, refreshes }
  } catch (error) {
    await page.screenshot({ path: `${RESULTS}/${name}-failure.png`, fullPage: true }).catch(() => undefined)
    throw error
  } finally {
    await context.close()
  }
}

/** `count` concurrent `fetch('/api/projects')` from the page, with its cookies: their statuses. */
function apiStorm(page: Page, count: number): Promise<number[]> {
  return page.evaluate(
    (n) =>
      Promise.all(
        Array.from({ length: n }, async () => {
          const response = await fetch('/api/projects', { headers: { accept: 'application/json' } })
          const body = (await response.json()) as unknown
          return response.ok && !Array.isArray(body) ? -1 : response.status
        }),
      ),
    count,
  )
}
