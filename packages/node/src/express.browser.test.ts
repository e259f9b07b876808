/**
 * The README's Express apps, run as written, in a real headless Chromium: `examples/express.ts` (memory
 * store, the signed session cookie) and `examples/express-session.ts` (an existing express-session keeps the
 * grant id; tokens in Redis, a redis-server of its own on a free port). Each signs in through the Workfront
 * mock's login and consent pages (the mock on a loopback port, as Workfront), lists the projects, refreshes
 * once under 10 concurrent API requests (the mock's token calls counted), and signs out.
 *
 * Chromium is Debian's (`apt-get install -y chromium`, or `CHROMIUM_PATH`). Without it this test fails: it
 * never skips.
 */
import type { Server } from 'node:http'
import type { RedisServer } from '@workfront-oauth/redis-store/testing'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { ACTION_GUARD_MS, launchChromium, signInAtMock } from '@workfront-oauth/test-kit/node'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import type { Redis } from 'ioredis'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { CLIENT, listen, SESSION_SECRET, serveMock, TOKEN_KEY } from './test/support.ts'

const closers: Array<() => Promise<void>> = []
let browser: Browser | undefined

beforeAll(async () => {
  browser = await launchChromium()
  closers.push(() => (browser as Browser).close())
})

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close()
  vi.unstubAllEnvs()
})

/** Starts an example on a free port, configured as its README says, against the mock on another. */
async function startExample(
  file: string,
  extra: Record<string, string> = {},
): Promise<{ origin: string; mock: WorkfrontMock; module: Record<string, unknown> }> {
  const probe = await listen(() => undefined)
  await probe.close()
  const origin = `http://127.0.0.1:${probe.port}`
  const workfront = await serveMock(origin)
  closers.push(workfront.close)
  const variables = {
    PUBLIC_URL: origin,
    PORT: String(probe.port),
    WORKFRONT_BASE_URL: workfront.origin,
    WORKFRONT_CLIENT_ID: CLIENT.id,
    WORKFRONT_CLIENT_SECRET: CLIENT.secret,
    SESSION_SECRET,
    TOKEN_ENCRYPTION_KEY: TOKEN_KEY,
    ...extra,
  }
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value)
  const module = (await import(file)) as { server: Server } & Record<string, unknown>
  const { server } = module
  closers.push(
    () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  )
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', () => ready())))
  return { origin, mock: workfront.mock, module }
}

/** Sign in → projects → 10 concurrent API calls on an expired session (one refresh) → sign out. */
async function walk(
  page: Page,
  origin: string,
  mock: WorkfrontMock,
  signedIn: () => Promise<void> = async () => {},
): Promise<void> {
  await page.goto(origin)
  await page.getByRole('link', { name: 'Sign in with Workfront' }).click()
  await page.waitForURL(/\/integrations\/oauth2\/authorize/)
  await signInAtMock(page, DEMO_USER)
  await page.waitForURL(`${origin}/projects`)
  await expect(page.getByText('Website Redesign (CUR)').isVisible()).resolves.toBe(true)
  expect(mock.counters().tokenCalls).toMatchObject({ authorization_code: 1, refresh_token: 0 })
  await signedIn()

  mock.expireAllSessions() // every API call now needs a refreshed session
  const statuses = await page.evaluate(async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => fetch('/api/projects')))
    return answers.map((answer) => answer.status)
  })
  expect(statuses).toEqual(Array(10).fill(200))
  expect(mock.counters().tokenCalls.refresh_token).toBe(1)

  await page.goto(origin)
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.waitForURL(`${origin}/`)
  await expect(page.getByRole('link', { name: 'Sign in with Workfront' }).isVisible()).resolves.toBe(true)
  const after = await page.evaluate(async () => (await fetch('/api/projects')).status)
  expect(after).toBe(401)
  await page.goto(`${origin}/projects`)
  await page.waitForURL(/\/integrations\/oauth2\/authorize/) // signed out: to sign in again
}

describe('the Express apps of the README in Chromium', () => {
  it('examples/express.ts: signs in, lists projects, refreshes once for 10 requests, signs out', async () => {
    const { origin, mock } = await startExample('../examples/express.ts')
    const context = await (browser as Browser).newContext()
    closers.push(() => context.close())
    const page = await context.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    await walk(page, origin, mock)
    const names = (await context.cookies()).map((cookie) => cookie.name)
    expect(names).not.toContain('wf_session')
  })

  it('examples/express-session.ts: the same in the app’s express-session, tokens in Redis', async () => {
    const redisServer: RedisServer = await startRedisServer()
    closers.push(() => redisServer.stop())
    const { origin, mock, module } = await startExample('../examples/express-session.ts', {
      REDIS_URL: redisServer.url,
    })
    const redis = module.redis as Redis
    closers.push(async () => void redis.disconnect())
    const context = await (browser as Browser).newContext()
    closers.push(() => context.close())
    const page = await context.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    const grantsBefore = await redis.keys('*grant*')
    await walk(page, origin, mock, async () => {
      expect(await redis.keys('*grant*')).toHaveLength(1)
    })
    const cookies = (await context.cookies()).map((cookie) => cookie.name)
    expect(cookies).toContain('connect.sid')
    expect(cookies).not.toContain('wf_session')
    // The grant was written to Redis at sign-in and deleted at sign-out.
    expect(grantsBefore).toEqual([])
    expect(await redis.keys('*grant*')).toEqual([])
  })
})
