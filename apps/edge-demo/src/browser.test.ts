/**
 * End to end in a real headless Chromium: the demo Worker in workerd (`wrangler dev --local`, as `pnpm demo`
 * runs it) on a free port; sign in through the mock's login and consent pages, see the projects, expire the
 * session, see the one refresh, reload, sign out. Then the same pages on a phone (390 px wide, touch, 3x):
 * none may scroll sideways, and a replayed sign-in offers "Sign in again". Screenshots are saved under
 * `test-results/`.
 *
 * Chromium is Debian's (`apt-get install -y chromium`; `.ci/run` installs it). Without it this test fails:
 * it never skips.
 */
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { ACTION_GUARD_MS, launchChromium, signInAtMock } from '@workfront-oauth/test-kit/node'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, retryWhenPortTaken } from './dev/ports.ts'
import type { WranglerDev } from './dev/wrangler-dev.ts'
import { PACKAGE_DIR, startWranglerDev } from './dev/wrangler-dev.ts'
import { DEMO_USER } from './test/browser-like.ts'

const RESULTS = join(PACKAGE_DIR, 'test-results')

let dev: WranglerDev | undefined
let browser: Browser | undefined
let context: BrowserContext | undefined

beforeAll(async () => {
  dev = await retryWhenPortTaken(async () => {
    const port = await freePort()
    return startWranglerDev({
      port,
      inspectorPort: await freePort(),
      vars: { PUBLIC_URL: `http://127.0.0.1:${port}` },
    })
  })
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  await mkdir(RESULTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await dev?.stop()
})

async function refreshes(page: Page): Promise<string> {
  return (await page.locator('#refresh-count').textContent()) ?? ''
}

describe('the demo in Chromium, served by wrangler dev (workerd)', () => {
  it('signs in through the mock, shows the projects, survives an expired session, signs out', async () => {
    const page = await (context as BrowserContext).newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    const origin = (dev as WranglerDev).url
    try {
      await page.goto(origin)
      await expect(page.title()).resolves.toBe('Sign in · Workfront OAuth demo')
      await page.getByRole('link', { name: 'Sign in with Workfront' }).click()

      // Workfront's login and consent pages (the mock's), under the demo's own origin.
      await page.waitForURL(`${origin}/integrations/oauth2/authorize?**`)
      await signInAtMock(page, DEMO_USER)

      await page.waitForURL(`${origin}/`)
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Hello, Dana Demo')
      // The Worker keeps the sign-in in its Durable Object store (wrangler.jsonc's binding, run locally).
      expect(dev?.output()).toContain('sessions in Durable Objects')
      const projects = page.getByRole('region', { name: 'Your projects' }).getByRole('row')
      await expect(projects.count()).resolves.toBe(13) // a header row and 12 projects
      await expect(page.getByRole('rowheader', { name: 'Website Redesign' }).isVisible()).resolves.toBe(true)
      await expect(refreshes(page)).resolves.toBe('0')
      await page.screenshot({ path: join(RESULTS, 'signed-in.png'), fullPage: true })

      await page.getByRole('button', { name: 'Expire the Workfront session' }).click()
      await page.waitForURL(`${origin}/?notice=expired`)
      await expect(page.getByRole('status').textContent()).resolves.toContain(
        'Every Workfront session was expired',
      )
      await expect(projects.count()).resolves.toBe(13)
      await expect(refreshes(page)).resolves.toBe('1')

      await page.reload()
      await expect(page.getByRole('rowheader', { name: 'Website Redesign' }).isVisible()).resolves.toBe(true)
      await expect(refreshes(page)).resolves.toBe('1')
      await page.screenshot({ path: join(RESULTS, 'after-refresh.png'), fullPage: true })

      await page
        .getByRole('navigation', { name: 'Account' })
        .getByRole('button', { name: 'Sign out' })
        .click()
      await page.waitForURL(`${origin}/?notice=signed-out`)
      await expect(page.getByRole('status').textContent()).resolves.toContain('You are signed out')
      await expect(page.getByRole('link', { name: 'Sign in with Workfront' }).isVisible()).resolves.toBe(true)
      // The browser's cookies, as the page has them.
      const session = await page.request.get(`${origin}/api/session`)
      expect(await session.json()).toEqual({ signedIn: false })
    } catch (error) {
      await page.screenshot({ path: join(RESULTS, 'failure.png'), fullPage: true }).catch(() => undefined)
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n--- wrangler output ---\n${dev?.output()}`,
        {
          cause: error,
        },
      )
    } finally {
      await page.close()
    }
  })

  it('fits a 390 px phone screen on every page, and a replayed sign-in offers "Sign in again"', async () => {
    // A phone of its own: touch, 3x pixels, the viewport meta tag honoured.
    const phone = await (browser as Browser).newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
    })
    const page = await phone.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    const origin = (dev as WranglerDev).url
    const overflow: string[] = []
    const check = async (name: string): Promise<void> => {
      const { scrollWidth, clientWidth } = await page.evaluate(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
      }))
      expect(clientWidth).toBe(390)
      if (scrollWidth > clientWidth) overflow.push(`${name}: ${scrollWidth} px wide`)
      await page.screenshot({ path: join(RESULTS, `phone-${name}.png`), fullPage: true })
    }
    try {
      await page.goto(origin)
      await check('home')
      await page.getByRole('link', { name: 'Sign in with Workfront' }).click()
      await page.waitForURL(`${origin}/integrations/oauth2/authorize?**`)
      await check('mock-login')
      await page.getByLabel('Username').fill(DEMO_USER.username)
      await page.getByLabel('Password').fill(DEMO_USER.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Allow' }).waitFor()
      await check('mock-consent')
      // The callback URL, to replay it afterwards.
      const callback = page.waitForRequest((request) => request.url().startsWith(`${origin}/auth/callback?`))
      await page.getByRole('button', { name: 'Allow' }).click()
      const callbackURL = (await callback).url()
      await page.waitForURL(`${origin}/`)
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Hello, Dana Demo')
      await check('signed-in')

      await page.goto(callbackURL)
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
        'This sign-in link is no longer valid',
      )
      await check('replayed-sign-in')
      await page.getByRole('link', { name: 'Sign in again' }).click()
      await page.waitForURL(`${origin}/integrations/oauth2/authorize?**`)

      await page.goto(`${origin}/no-such-page`)
      await check('not-found')
      expect(overflow).toEqual([])
    } catch (error) {
      await page
        .screenshot({ path: join(RESULTS, 'phone-failure.png'), fullPage: true })
        .catch(() => undefined)
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n--- wrangler output ---\n${dev?.output()}`,
        { cause: error },
      )
    } finally {
      await phone.close()
    }
  })
})
