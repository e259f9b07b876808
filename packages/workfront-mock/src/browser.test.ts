/**
 * The mock's pages in a real browser on a phone: Debian's Chromium (`/usr/bin/chromium`, or
 * `CHROMIUM_PATH`) drives the mock served on a loopback port, 390 px wide, touch, 3x pixels. Every page
 * (login, consent, error) fits the screen, and its card keeps a margin on both sides instead of running
 * edge to edge. Screenshots go to `test-results/`.
 */
import { mkdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ServerType, serve } from '@hono/node-server'
import { ACTION_GUARD_MS, launchChromium } from '@workfront-oauth/test-kit/node'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkfrontMock } from './index'
import { USER, WEB } from './test-support'

const RESULTS = fileURLToPath(new URL('../test-results', import.meta.url))
/** The card may not come closer than this to either side of the screen. */
const MIN_GUTTER_PX = 12

let server: ServerType | undefined
let browser: Browser | undefined
let origin = ''

beforeAll(async () => {
  const mock = createWorkfrontMock()
  server = await new Promise<ServerType>((resolve) => {
    const started = serve({ fetch: mock.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(started))
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchChromium()
  await mkdir(RESULTS, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
})

/** Where the page's card sits on the screen, and how wide the page is. */
async function layout(page: Page): Promise<{ left: number; right: number; width: number; scroll: number }> {
  return page.evaluate(() => {
    const card = (document.querySelector('main') as HTMLElement).getBoundingClientRect()
    const root = document.documentElement
    return { left: card.left, right: card.right, width: root.clientWidth, scroll: root.scrollWidth }
  })
}

describe('the mock’s pages on a 390 px phone', () => {
  it('login, consent and error pages fit, with the card off both edges', async () => {
    const phone = await (browser as Browser).newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
    })
    const page = await phone.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    const seen: Record<string, Awaited<ReturnType<typeof layout>>> = {}
    const check = async (name: string): Promise<void> => {
      seen[name] = await layout(page)
      await page.screenshot({ path: join(RESULTS, `mock-phone-${name}.png`), fullPage: true })
    }
    try {
      const authorize = new URL('/integrations/oauth2/authorize', origin)
      authorize.search = new URLSearchParams({
        client_id: WEB.clientId,
        redirect_uri: WEB.redirectUri,
        response_type: 'code',
      }).toString()
      await page.goto(authorize.href)
      await check('login')
      await page.getByLabel('Username').fill(USER.username)
      await page.getByLabel('Password').fill(USER.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.getByRole('button', { name: 'Allow' }).waitFor()
      await check('consent')
      authorize.searchParams.set('client_id', 'unknown-client')
      await page.goto(authorize.href)
      await check('error')
    } finally {
      await phone.close()
    }
    for (const [name, box] of Object.entries(seen)) {
      expect(box.width, name).toBe(390)
      expect(box.scroll, `${name}: the page is wider than the screen`).toBe(390)
      expect(box.left, `${name}: the card touches the left edge`).toBeGreaterThanOrEqual(MIN_GUTTER_PX)
      expect(box.right, `${name}: the card touches the right edge`).toBeLessThanOrEqual(390 - MIN_GUTTER_PX)
    }
    expect(Object.keys(seen)).toEqual(['login', 'consent', 'error'])
  })
})
