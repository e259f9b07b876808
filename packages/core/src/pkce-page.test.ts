/**
 * The PKCE page's response shape (`token_type: "Bearer"`, `expires_in: 3600`) against the Workfront mock,
 * whose sessions then really end after 3600 s: the token type is kept, and the session is refreshed before
 * its known expiry, so Workfront never has to refuse it.
 */
import { overMock } from '@workfront-oauth/test-kit'
import { createWorkfrontMock, DEMO_SPA_APP, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { expect, it } from 'vitest'
import { createWorkfrontClient } from './api.ts'
import { createWorkfrontOAuth } from './client.ts'
import { memoryStore } from './memory-store.ts'
import { createFakeClock } from './testing.ts'

it('keeps token_type Bearer and refreshes proactively before expires_in runs out', async () => {
  const clock = createFakeClock(Date.parse('2026-11-30T12:00:00Z'))
  const mock = createWorkfrontMock({ tokenResponseShape: 'pkce-page', clock })
  const oauth = createWorkfrontOAuth({
    ...overMock(mock, DEMO_SPA_APP),
    store: memoryStore({ clock }),
    clock,
  })
  const { url } = await oauth.startLogin()
  const { grant } = await oauth.handleCallback(
    await completeAuthorization(mock, url, { username: DEMO_USER.username, password: DEMO_USER.password }),
  )
  expect(grant).toMatchObject({ tokenType: 'Bearer', expiresAt: clock.now() + 3_600_000 })
  const workfront = createWorkfrontClient(oauth, grant.id)

  clock.advance(3_600_000 - 61_000)
  expect((await workfront.session()).userID).toBe(DEMO_USER.id)
  expect(mock.counters().tokenCalls.refresh_token).toBe(0)
  clock.advance(2_000) // inside refreshSkewMs (60 s) of the expiry
  expect((await workfront.session()).userID).toBe(DEMO_USER.id)
  expect(mock.counters().tokenCalls.refresh_token).toBe(1)
  clock.advance(60_000) // past the first session's end: the new one is used
  expect((await workfront.session()).userID).toBe(DEMO_USER.id)
  expect(mock.counters().apiCalls['401']).toBeUndefined()
  expect(await oauth.getGrant(grant.id)).toMatchObject({ tokenType: 'Bearer', refreshCount: 1 })
})
