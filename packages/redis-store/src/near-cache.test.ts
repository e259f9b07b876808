/**
 * The core's near cache of grants over a real Redis: two app instances (two store connections, as two
 * processes have), invalidated through the store's changes channel, with the maximum age as the fallback.
 */
import { createWorkfrontOAuth, isWorkfrontOAuthError, type WorkfrontOAuth } from '@workfront-oauth/core'
import { createFakeClock } from '@workfront-oauth/core/testing'
import { overMock } from '@workfront-oauth/test-kit'
import { createWorkfrontMock, DEMO_USER, DEMO_WEB_APP } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { redisStore } from './redis-store.ts'
import {
  closeClient,
  commandCalls,
  connect,
  eventually,
  recommendedOptions,
  tcpGate,
} from './test/support.ts'
import { type RedisServer, startRedisServer } from './testing.ts'
import type { RedisStore } from './types.ts'

let server: RedisServer
const opened: { stores: RedisStore[]; clients: Redis[] } = { stores: [], clients: [] }

beforeAll(async () => {
  server = await startRedisServer()
})
afterEach(async () => {
  await Promise.all(opened.stores.splice(0).map((s) => s.close()))
  await Promise.all(opened.clients.splice(0).map((c) => closeClient(c)))
})
afterAll(async () => {
  await server?.stop()
})

const mock = createWorkfrontMock({ apps: [DEMO_WEB_APP] })

/** An app instance: its own Redis connections and store, as a separate process would have. */
function instance(maxAgeMs: number, subscriber?: Redis): { oauth: WorkfrontOAuth; store: RedisStore } {
  const client = connect(server.url, recommendedOptions)
  opened.clients.push(client)
  const store = redisStore({ client, keyPrefix: 'near:', ...(subscriber ? { subscriber } : {}) })
  opened.stores.push(store)
  const oauth = createWorkfrontOAuth({ ...overMock(mock, DEMO_WEB_APP), store, nearCache: { maxAgeMs } })
  return { oauth, store }
}

async function signIn(oauth: WorkfrontOAuth): Promise<string> {
  const { url } = await oauth.startLogin()
  const callback = await completeAuthorization(mock, url, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  return (await oauth.handleCallback(callback)).grant.id
}

const refused = (oauth: WorkfrontOAuth, grantId: string): Promise<boolean> =>
  oauth.getAccessToken(grantId).then(
    () => false,
    (error: unknown) => isWorkfrontOAuthError(error, 'grant_not_found'),
  )

/** Waits until the changes channel has a subscriber on the server. */
const channelOpen = (admin: Redis): Promise<void> =>
  eventually(async () => {
    const [, count] = (await admin.call('PUBSUB', 'NUMSUB', 'near:changes')) as [string, number]
    return Number(count) >= 1
  })

/** Waits until `oauth` refuses the grant (the tests' maximum age is 10 minutes: only a change can do it). */
const refusedSoon = (oauth: WorkfrontOAuth, grantId: string): Promise<void> =>
  eventually(() => refused(oauth, grantId))

describe('near cache on Redis', () => {
  it('serves authenticated requests without Redis commands in steady state', async () => {
    const admin = connect(server.url)
    const subscriber = connect(server.url)
    opened.clients.push(admin, subscriber)
    const a = instance(60_000, subscriber)
    const grantId = await signIn(a.oauth)
    await a.oauth.getAccessToken(grantId)
    // The first cached read opens the changes channel: its connection's setup is not a request's cost.
    await channelOpen(admin)
    // Replies come in order: once PING's is in, the confirmation's is too, and by the next macrotask the
    // cache has been emptied by it (both replies may come in one read, so the PING alone is not enough).
    await subscriber.ping()
    await new Promise((resolve) => setImmediate(resolve))
    await a.oauth.getAccessToken(grantId)
    const before = await commandCalls(admin)
    for (let i = 0; i < 200; i++) await a.oauth.getAccessToken(grantId)
    const after = await commandCalls(admin)
    // Only the INFO of the measurement itself.
    const used = Object.entries(after).filter(([name, calls]) => name !== 'info' && calls !== before[name])
    expect(used).toEqual([])
  })

  it('honours a logout on another instance through the changes channel, long before the maximum age', async () => {
    const a = instance(600_000)
    const b = instance(600_000)
    const grantId = await signIn(a.oauth)
    await b.oauth.getAccessToken(grantId)
    await a.oauth.logout(grantId)
    // With a 10-minute maximum age only the channel can explain it.
    await refusedSoon(b.oauth, grantId)
  })

  it('honours a logout made before its channel was confirmed, once it is', async () => {
    // B's subscriber is connected but unanswered: B's first cached read opens the channel, which stays
    // unconfirmed.
    const gate = await tcpGate(server.port)
    gate.hold()
    const subscriber = connect(`redis://127.0.0.1:${gate.port}`)
    opened.clients.push(subscriber)
    try {
      await eventually(() => subscriber.status === 'connect')
      const a = instance(600_000)
      const b = instance(600_000, subscriber)
      const grantId = await signIn(a.oauth)
      await b.oauth.getAccessToken(grantId)
      await a.oauth.logout(grantId)
      expect(await refused(b.oauth, grantId)).toBe(false)
      // The confirmation itself tells B that what it holds may be stale.
      gate.release()
      await refusedSoon(b.oauth, grantId)
    } finally {
      await gate.close()
    }
  })

  it('honours a logout made while its channel was down, once the channel is back', async () => {
    const gate = await tcpGate(server.port)
    const admin = connect(server.url)
    const subscriber = connect(`redis://127.0.0.1:${gate.port}`, { retryStrategy: () => 20 })
    opened.clients.push(admin, subscriber)
    try {
      const a = instance(600_000)
      const b = instance(600_000, subscriber)
      const grantId = await signIn(a.oauth)
      await b.oauth.getAccessToken(grantId)
      await channelOpen(admin)
      // The subscriber's connection drops, and its next one is connected but unanswered.
      gate.cut()
      await eventually(() => subscriber.status === 'connect')
      // While the channel is down, B reads the grant again (the drop emptied the cache) and holds it; the
      // logout's message is published to nobody.
      await b.oauth.getAccessToken(grantId)
      await a.oauth.logout(grantId)
      expect(await refused(b.oauth, grantId)).toBe(false)
      gate.release()
      await refusedSoon(b.oauth, grantId)
    } finally {
      await gate.close()
    }
  })

  it('forgets what it holds when its channel drops, since changes may go unheard', async () => {
    const admin = connect(server.url)
    const subscriber = connect(server.url)
    opened.clients.push(admin, subscriber)
    const a = instance(600_000)
    const b = instance(600_000, subscriber)
    const grantId = await signIn(a.oauth)
    await b.oauth.getAccessToken(grantId)
    await channelOpen(admin)
    subscriber.disconnect()
    await eventually(() => subscriber.status === 'end')
    await a.oauth.logout(grantId)
    expect(await refused(b.oauth, grantId)).toBe(true)
  })

  it('without a channel, honours a logout once the maximum age has passed', async () => {
    const a = instance(600_000)
    const client = connect(server.url, recommendedOptions)
    opened.clients.push(client)
    // `waitStrategy: 'poll'`: SUBSCRIBE not allowed, so the store offers no changes channel.
    const store = redisStore({ client, keyPrefix: 'near:', waitStrategy: 'poll' })
    expect(store.watchChanges).toBeUndefined()
    const clock = createFakeClock(Date.now())
    const b = createWorkfrontOAuth({
      ...overMock(mock, DEMO_WEB_APP),
      store,
      nearCache: { maxAgeMs: 300 },
      // The near cache's age is read on this clock (the grant's times come from the mock's real one).
      clock,
    })
    const grantId = await signIn(a.oauth)
    await b.getAccessToken(grantId)
    await a.oauth.logout(grantId)
    // Nothing tells B of the logout: its copy serves until it is the maximum age old.
    await clock.advanceAsync(299)
    expect(await refused(b, grantId)).toBe(false)
    await clock.advanceAsync(1)
    expect(await refused(b, grantId)).toBe(true)
  })
})
