/**
 * Two Node instances of the demo on one Redis, as behind a load balancer: they share one PUBLIC_URL (the
 * address users see), SESSION_SECRET, TOKEN_ENCRYPTION_KEY and REDIS_URL. Workfront is the mock's own Node
 * server, which both talk to over HTTP; its demo app registers `http://127.0.0.1:8787/auth/callback`, so
 * that is the shared PUBLIC_URL. This test plays the browser and the load balancer: it picks which
 * instance serves each request and keeps the cookies of PUBLIC_URL.
 */
import type { RedisServer } from '@workfront-oauth/redis-store/testing'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserLike } from './test/browser-like.ts'
import { createBrowserLike, refreshCount, signIn } from './test/browser-like.ts'
import type { Instance } from './test/node-entry.ts'
import { startMockServer, startNodeEntry } from './test/node-entry.ts'

const PUBLIC_URL = 'http://127.0.0.1:8787'
const STORM = 50

let redis: RedisServer | undefined
let workfront: Instance | undefined
let a: Instance | undefined
let b: Instance | undefined

beforeAll(async () => {
  redis = await startRedisServer()
  workfront = await startMockServer()
  const shared = {
    PUBLIC_URL,
    WORKFRONT_BASE_URL: workfront.url,
    WORKFRONT_CLIENT_ID: 'demo-client',
    WORKFRONT_CLIENT_SECRET: 'demo-secret',
    REDIS_URL: redis.url,
    SESSION_SECRET: 'the-session-secret-both-instances-share-0123',
    TOKEN_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  }
  ;[a, b] = await Promise.all([startNodeEntry('instance A', shared), startNodeEntry('instance B', shared)])
})

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop(), workfront?.stop()])
  await redis?.stop()
})

/** The mock's admin knobs over HTTP. */
async function admin(path: string, body?: object): Promise<unknown> {
  const url = `${(workfront as Instance).url}/__mock${path}`
  const response = await fetch(
    url,
    body === undefined
      ? {}
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  )
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  return response.json()
}

interface Counters {
  tokenCalls: { authorization_code: number; refresh_token: number }
  refreshReuses: number
  apiCalls: Record<string, number>
}

describe('two Node instances on one Redis', () => {
  let browser: BrowserLike

  it('a sign-in started on one instance completes on the other, and both serve the session', async () => {
    const [one, two] = [a as Instance, b as Instance]
    browser = createBrowserLike((request) => fetch(request), PUBLIC_URL)
    // Login on A (the transaction is written to Redis), Workfront's pages, callback on B (taken from Redis).
    const callback = await signIn(browser, {
      mockFetch: (r) => fetch(r),
      loginUrl: `${one.url}/auth/login`,
      callbackBase: two.url,
    })
    expect(callback.status).toBe(302)
    expect(browser.jar.has('wf_session')).toBe(true)

    const sessions = await Promise.all(
      [one, two].map(async (i) => (await browser.request(`${i.url}/api/session`)).json()),
    )
    expect(sessions[0]).toMatchObject({
      signedIn: true,
      tenantHost: new URL((workfront as Instance).url).host,
      refreshCount: 0,
    })
    expect(sessions[1]).toEqual(sessions[0])
    for (const instance of [one, two]) {
      const page = await (await browser.request(`${instance.url}/`)).text()
      expect(page).toContain('Hello, Dana Demo')
      expect(page).not.toContain('expire-sessions') // a "real" Workfront: no mock button
      const projects = await browser.request(`${instance.url}/api/projects`)
      expect(projects.status).toBe(200)
      expect(await projects.json()).toHaveLength(12)
    }
  })

  it(`a refresh storm (2 × ${STORM} concurrent requests on an expired session) refreshes exactly once`, async () => {
    const [one, two] = [a as Instance, b as Instance]
    for (const round of [1, 2]) {
      await admin('/counters/reset', {})
      await admin('/sessions/expire', {})
      const responses = await Promise.all(
        Array.from({ length: STORM * 2 }, (_, i) =>
          browser.request(`${(i % 2 ? one : two).url}/api/projects`),
        ),
      )
      const statuses = responses.map((r) => r.status)
      await Promise.all(responses.map((r) => r.body?.cancel()))
      expect(statuses).toEqual(Array(STORM * 2).fill(200))
      const counters = (await admin('/counters')) as Counters
      expect(counters.tokenCalls.refresh_token).toBe(1)
      expect(counters.refreshReuses).toBe(0)
      expect(counters.apiCalls['401']).toBeGreaterThanOrEqual(1)
      for (const instance of [one, two]) {
        expect(await (await browser.request(`${instance.url}/api/session`)).json()).toMatchObject({
          refreshCount: round,
        })
      }
    }
    expect(refreshCount(await (await browser.request(`${one.url}/`)).text())).toBe(2)
  })

  it('signing out on one instance signs out everywhere', async () => {
    const [one, two] = [a as Instance, b as Instance]
    const session = browser.jar.get('wf_session') as string
    const logout = await browser.post(`${two.url}/auth/logout`)
    expect(logout.status).toBe(303)
    // Even with the old cookie, the grant is gone from Redis for both.
    browser.jar.set('wf_session', session)
    expect(await (await browser.request(`${one.url}/api/session`)).json()).toEqual({ signedIn: false })
    expect(
      (await browser.request(`${one.url}/api/projects`, { headers: { accept: 'application/json' } })).status,
    ).toBe(401)
  })

  it('each instance stops cleanly on SIGTERM', async () => {
    for (const instance of [a as Instance, b as Instance]) {
      expect(await instance.stop()).toEqual({ code: 0, signal: null })
    }
  })
})
