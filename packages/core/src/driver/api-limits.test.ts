/**
 * Workfront's API limits, against the Workfront mock: the 8,892-byte URI limit, 429 with `Retry-After`
 * (waited for on the fake clock), and the per-tenant concurrency cap.
 */
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  type WorkfrontMockOptions,
} from '@workfront-oauth/workfront-mock'
import { DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../memory-store.ts'
import { createWorkfrontServerAuth } from '../server.ts'
import { failure } from '../test/failure.ts'
import { createFakeClock } from '../testing.ts'
import type { APILimits } from './api-calls.ts'
import { apiURL, MAX_URI_BYTES } from './api-calls.ts'

const BASE = 'https://acme.my.workfront.com'

function setup(apiLimits: APILimits = {}, mockOptions: WorkfrontMockOptions = {}) {
  const clock = createFakeClock(Date.parse('2026-11-30T12:00:00Z'))
  const mock = createWorkfrontMock({ clock, ...mockOptions })
  const sent: string[] = []
  /** The clock's time at each API request sent. */
  const sentAt: number[] = []
  const auth = createWorkfrontServerAuth({
    clientId: DEMO_M2M_APP.clientId,
    clientSecret: DEMO_M2M_APP.clientSecrets[0] as string,
    customerId: DEMO_CUSTOMER_ID,
    userId: DEMO_USER.id,
    privateKey: DEMO_M2M_PRIVATE_KEY,
    baseUrl: BASE,
    store: memoryStore({ clock }),
    clock,
    apiLimits,
    http: (input, init) => {
      const request = new Request(input, init)
      if (new URL(request.url).pathname.startsWith('/attask/')) {
        sent.push(`${request.method} ${request.url}`)
        sentAt.push(clock.now())
      }
      return mock.fetch(request)
    },
  })
  return { clock, mock, auth, sent, sentAt }
}

describe('the URI limit', () => {
  const at = (bytes: number, filler = 'x') => {
    const prefix = 'proj/search?name='
    const base = `${BASE}/attask/api/v21.0/${prefix}`.length
    return `${prefix}${filler.repeat(bytes - base)}`
  }

  it('builds a URI of exactly 8,892 bytes and refuses one byte more, before sending', async () => {
    expect(apiURL(BASE, 'v21.0', at(MAX_URI_BYTES))).toHaveLength(MAX_URI_BYTES)
    const { auth, sent } = setup()
    expect((await auth.fetch(at(MAX_URI_BYTES))).status).toBe(200)
    const error = await failure(auth.fetch(at(MAX_URI_BYTES + 1)))
    expect(error).toMatchObject({ code: 'uri_too_long' })
    expect(sent).toHaveLength(1)
  })

  it('counts bytes as sent: percent-encoded', () => {
    // "é" is 6 bytes on the wire (%C3%A9).
    expect(() => apiURL(BASE, 'v21.0', at(Math.floor(MAX_URI_BYTES / 3), 'é'))).toThrow(
      expect.objectContaining({ code: 'uri_too_long' }),
    )
  })

  it('builds Default API URIs without a version', () => {
    expect(apiURL(BASE, 'default', 'proj/count')).toBe(`${BASE}/attask/api/proj/count`)
  })
})

describe('429 and Retry-After', () => {
  it('retries an idempotent request after Retry-After, on the clock', async () => {
    const { auth, mock, clock, sent } = setup({ retries: 3, baseDelayMs: 100 })
    await auth.getAccessToken()
    mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 7, times: 2 })
    const pending = auth.fetch('proj/count')
    await clock.advanceAsync(0)
    expect(sent).toHaveLength(1)
    await clock.advanceAsync(6_999)
    expect(sent).toHaveLength(1)
    await clock.advanceAsync(1)
    expect(sent).toHaveLength(2)
    await clock.advanceAsync(7_000)
    const response = await pending
    expect(response.status).toBe(200)
    expect(sent).toHaveLength(3)
    expect(mock.counters().apiCalls).toMatchObject({ '429': 2, '200': 1 })
  })

  it('backs off exponentially when Retry-After is absent or shorter', async () => {
    const { auth, mock, clock, sentAt } = setup({ retries: 2, baseDelayMs: 1_000 })
    await auth.getAccessToken()
    mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 0, times: 2 })
    const pending = auth.fetch('session')
    await clock.advanceAsync(3_000)
    expect((await pending).status).toBe(200)
    const [first = 0, second = 0, third = 0] = sentAt
    expect(sentAt).toHaveLength(3)
    // The first wait is 500-1000 ms (half fixed, half jitter), the second 1000-2000 ms.
    expect(second - first).toBeGreaterThanOrEqual(500)
    expect(second - first).toBeLessThanOrEqual(1_000)
    expect(third - second).toBeGreaterThanOrEqual(1_000)
    expect(third - second).toBeLessThanOrEqual(2_000)
  })

  it('gives up with rate_limited: retries used up, a POST, or a Retry-After beyond maxDelayMs', async () => {
    const { auth, mock, clock } = setup({ retries: 1, baseDelayMs: 10, maxDelayMs: 5_000 })
    await auth.getAccessToken()
    mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 1, times: 2 })
    const used = failure(auth.fetch('session'))
    await clock.advanceAsync(1_000)
    expect(await used).toMatchObject({ code: 'rate_limited', status: 429, retryAfter: 1 })

    mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 1 })
    expect(await failure(auth.fetch('session', { method: 'POST', body: 'x' }))).toMatchObject({
      code: 'rate_limited',
    })

    mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 60 })
    expect(await failure(auth.fetch('session'))).toMatchObject({ code: 'rate_limited', retryAfter: 60 })
    // Nothing was left armed: the next call goes through.
    expect((await auth.fetch('session')).status).toBe(200)
  })

  it('without retries (the default), a 429 is rate_limited at once', async () => {
    const { auth, mock } = setup()
    await auth.getAccessToken()
    mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 1 })
    expect(await failure(auth.fetch('session'))).toMatchObject({ code: 'rate_limited', retryAfter: 1 })
  })

  it('refuses limits that cannot work', () => {
    for (const apiLimits of [
      { maxConcurrent: 0 },
      { retries: -1 },
      { baseDelayMs: 0 },
      { maxDelayMs: 1.5 },
    ]) {
      expect(() => setup(apiLimits)).toThrow(expect.objectContaining({ code: 'invalid_options' }))
    }
  })
})

describe('the per-tenant concurrency cap', () => {
  it("keeps this process under the org's limit: the mock's 429s disappear", async () => {
    // Workfront (the mock) allows 2 requests in flight; each takes 20 ms. Real time: the mock's latency knob
    // sleeps on real timers (it also serves real servers); nothing here waits for a time to pass.
    const limited = { maxConcurrentApiRequests: 2 }
    const without = setup({}, limited)
    await without.auth.getAccessToken()
    without.mock.setLatency({ api: 20 })
    const free = await Promise.allSettled(Array.from({ length: 8 }, () => without.auth.fetch('session')))
    expect(free.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0)

    const capped = setup({ maxConcurrent: 2 }, limited)
    await capped.auth.getAccessToken()
    capped.mock.setLatency({ api: 20 })
    const responses = await Promise.all(Array.from({ length: 8 }, () => capped.auth.fetch('session')))
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200))
    expect(capped.mock.counters().apiCalls).toEqual({ '200': 8 })
  })
})
