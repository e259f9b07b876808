/**
 * Rotated tokens the core holds after the store refused their write, on the Workers runtime: the isolate may
 * be stopped once the response is sent, so the adapter hands the held write to `ctx.waitUntil` — the
 * request's execution context stays open until the tokens are in the store. Without it, the execution
 * context is done at once and the store still has the refresh token Workfront already rotated away.
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { hiccupStore } from '@workfront-oauth/core/testing'
import { expect, it } from 'vitest'
import { createBrowser, createTestApp, sessionGrantId, signIn, storedRefreshCount } from './test/app.ts'

const quiet = { warn: () => undefined, error: () => undefined }

it.for([
  ['requireAuth()', '/api/projects'],
  ['optionalAuth()', '/welcome'],
])('%s hands a held write to waitUntil: in the store once the request is done', async ([, path]) => {
  const { inner, store, knobs } = hiccupStore()
  const t = createTestApp({ store, oauth: { logger: quiet } })
  const browser = createBrowser(t.app)
  await signIn(t, browser)
  const grantId = sessionGrantId(browser)
  expect(await storedRefreshCount(inner, grantId)).toBe(0)

  // Workfront rotates; the store refuses the write past the request's own retries.
  t.mock.expireAllSessions()
  // The refresh's claim (written before the token request) lands; the write of the answer fails.
  knobs.passWrites = 1
  knobs.failWrites = Number.POSITIVE_INFINITY
  const ctx = createExecutionContext()
  // The same cookies, sent within the execution context.
  const response = await createBrowser(t.app, ctx).request(path as string, {
    headers: { cookie: browser.cookieHeader() },
  })
  expect(response.status).toBe(200)
  // Answered from the tokens held in the isolate; the store still has the dead refresh token.
  expect(await storedRefreshCount(inner, grantId)).toBe(0)
  expect(t.oauth.pendingWrites()).not.toBeNull()

  // The store is back: the next background attempt (a timer) lands, if the isolate still runs.
  knobs.failWrites = 0
  await waitOnExecutionContext(ctx)
  expect(await storedRefreshCount(inner, grantId)).toBe(1)
  expect(t.oauth.pendingWrites()).toBeNull()
  expect(t.mock.counters().refreshReuses).toBe(0)
})
