/**
 * The Worker's own hand-over of held writes, inside workerd: when the store refuses the rotated tokens of a
 * refresh, the core holds them and writes them after the response. The Worker passes that write to
 * `ctx.waitUntil` — also for the dashboard, which drives the core without the adapter's middleware — and
 * closes a per-request connection only once the write is through it.
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import type { StoragePort } from '@workfront-oauth/core'
import { hiccupStore } from '@workfront-oauth/core/testing'
import { expect, it } from 'vitest'
import { createDemoMock } from './mock.ts'
import type { Fetch } from './test/browser-like.ts'
import { createBrowserLike, refreshCount, signIn } from './test/browser-like.ts'
import type { RequestStore } from './worker-app.ts'
import { createWorker } from './worker-app.ts'

const ORIGIN = 'http://127.0.0.1:8787'

/** A connection of one request to the shared store: once closed, every call fails, as on a quit client. */
function connectionTo(shared: StoragePort): RequestStore {
  let open = true
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      open ? call(...args) : Promise.reject(new Error('Connection is closed.'))
  return {
    store: {
      get: guard(shared.get),
      set: guard(shared.set),
      take: guard(shared.take),
      delete: guard(shared.delete),
      getVersioned: guard(shared.getVersioned),
      compareAndSet: guard(shared.compareAndSet),
      acquireLock: guard(shared.acquireLock),
      extendLock: guard(shared.extendLock),
      releaseLock: guard(shared.releaseLock),
    },
    async close() {
      open = false
    },
  }
}

it('a per-request connection: the held write goes to waitUntil, and the connection closes after it', async () => {
  const { store, knobs } = hiccupStore()
  const worker = createWorker({
    build: 'the test Worker',
    createMock: createDemoMock,
    connectRedis: async () => connectionTo(store),
  })
  const workerEnv = { ...env, REDIS_URL: 'redis://127.0.0.1:6379' }
  let last = createExecutionContext()
  const send: Fetch = async (request) => {
    last = createExecutionContext()
    return (worker.fetch as NonNullable<typeof worker.fetch>)(
      request as Parameters<NonNullable<typeof worker.fetch>>[0],
      workerEnv,
      last,
    )
  }
  const browser = createBrowserLike(send, ORIGIN)
  expect((await signIn(browser, { mockFetch: send })).status).toBe(302)
  expect((await browser.post('/mock/expire-sessions')).status).toBe(303)

  // The dashboard refreshes (Workfront rotates) and the store refuses the write past the request's retries:
  // the page is served from the tokens held in the isolate. (The refresh's claim, written before the token
  // request, lands.)
  knobs.passWrites = 1
  knobs.failWrites = Number.POSITIVE_INFINITY
  const page = await browser.request('/')
  expect(page.status).toBe(200)
  expect(refreshCount(await page.text())).toBe(1)

  // The store is back: the held write lands through the request's connection, if it is still open.
  knobs.failWrites = 0
  await waitOnExecutionContext(last)
  const session = (await (await browser.request('/api/session')).json()) as { refreshCount: number }
  expect(session.refreshCount).toBe(1)
})
