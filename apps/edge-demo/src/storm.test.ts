/**
 * The refresh storm on the Worker as Cloudflare runs it: `wrangler dev` (workerd) on a free port, sessions in
 * its Durable Objects, and 300 concurrent authenticated HTTP requests from outside — each its own request
 * context — on one grant whose Workfront session was just expired (the mock rotates
 * refresh tokens). One refresh and no failed request means one token call and no refresh-token reuse: with
 * rotation on, a second refresh would have been a reuse and signed the user out (a failed request).
 *
 * 300, not 1,000: under wrangler dev, more than about 500 concurrent requests that wait for one refresh do
 * not all get an answer (reads alone do; the same 1,000-request storm through Miniflare, in the edge
 * benchmark, does). The 1,000-request storm with the mock's counters runs in the package's workerd tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, retryWhenPortTaken } from './dev/ports.ts'
import type { WranglerDev } from './dev/wrangler-dev.ts'
import { startWranglerDev } from './dev/wrangler-dev.ts'
import { createBrowserLike, signIn } from './test/browser-like.ts'

let dev: WranglerDev | undefined

beforeAll(async () => {
  dev = await retryWhenPortTaken(async () => {
    const port = await freePort()
    return startWranglerDev({
      port,
      inspectorPort: await freePort(),
      vars: { PUBLIC_URL: `http://127.0.0.1:${port}` },
    })
  })
})

afterAll(async () => {
  await dev?.stop()
})

describe('refresh storm on the Worker in wrangler dev (Durable Object store)', () => {
  it('300 concurrent authenticated requests on an expired session: one refresh, none failed', async () => {
    const origin = (dev as WranglerDev).url
    // Node's fetch opens as many connections as there are requests in flight: all of them reach workerd at once.
    const http = (request: Request) => fetch(request)
    const browser = createBrowserLike(http, origin)
    expect((await signIn(browser, { mockFetch: http })).status).toBe(302)
    const refreshes = async () =>
      ((await (await browser.request('/api/session')).json()) as { refreshCount: number }).refreshCount
    expect(await refreshes()).toBe(0)
    expect((await browser.post('/mock/expire-sessions')).status).toBe(303)

    const statuses = await Promise.all(
      Array.from({ length: 300 }, async () => {
        const response = await browser.request('/api/projects', { headers: { accept: 'application/json' } })
        await response.arrayBuffer()
        return response.status
      }),
    )
    expect(statuses.filter((status) => status !== 200)).toEqual([])
    expect(await refreshes()).toBe(1)
  }, 120_000)
})
