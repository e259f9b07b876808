/**
 * The Worker inside workerd with REDIS_URL set: ioredis over nodejs_compat sockets, one connection per
 * request (workerd binds a socket to the request that opened it), grants in Redis.
 */
import { exports } from 'cloudflare:workers'
import { Redis } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import type { Fetch } from './test/browser-like.ts'
import { createBrowserLike, refreshCount, signIn } from './test/browser-like.ts'

const ORIGIN = 'http://127.0.0.1:8787'
const worker: Fetch = (request) => exports.default.fetch(request)

describe('the demo Worker in workerd, sessions in Redis', () => {
  it('signs in, keeps the grant in Redis, refreshes once under concurrency, signs out', async () => {
    const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1 })
    try {
      const browser = createBrowserLike(worker, ORIGIN)
      expect((await signIn(browser, { mockFetch: worker })).status).toBe(302)
      const grantId = (browser.jar.get('wf_session') as string).split('.')[0] as string
      // Stored in Redis, encrypted.
      const keys = await redis.keys('*')
      const grantKey = keys.find((key) => key.includes(`grant:${grantId}`))
      expect(grantKey).toBeDefined()
      expect(await redis.hget(grantKey as string, 'd')).toMatch(/^wfe1\.k[A-Za-z0-9_-]{11}\./)

      expect(refreshCount(await (await browser.request('/')).text())).toBe(0)
      expect((await browser.post('/mock/expire-sessions')).status).toBe(303)
      // Ten requests at once, each with its own Redis connection: one refresh.
      const responses = await Promise.all(Array.from({ length: 10 }, () => browser.request('/api/projects')))
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200))
      const session = (await (await browser.request('/api/session')).json()) as { refreshCount: number }
      expect(session.refreshCount).toBe(1)
      expect(refreshCount(await (await browser.request('/')).text())).toBe(1)

      expect((await browser.post('/auth/logout')).status).toBe(303)
      expect(await redis.exists(grantKey as string)).toBe(0)
      expect(await (await browser.request('/api/session')).json()).toEqual({ signedIn: false })
    } finally {
      redis.disconnect()
    }
  })
})
