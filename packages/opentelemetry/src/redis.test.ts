/**
 * A lock wait across two processes on Redis: two clients, each with its own connection, its own store and
 * its own recording (as two processes would have), share one grant. The first refreshes; the second finds
 * the lock taken, waits for it (Redis pub/sub wakes it), re-reads and uses the first one's result. Its
 * recording shows the wait and its callers' refreshes joined, each span linked to the first one's through
 * the trace context stored with the refresh claim; the first one's shows the refresh done.
 */
import type { StoragePort } from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { type RedisServer, startRedisServer } from '@workfront-oauth/redis-store/testing'
import { createWorkfrontMock } from '@workfront-oauth/workfront-mock'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Attr, Metric } from './index.ts'
import { setup } from './test/flows.ts'
import { counted, exported, leaked, recorded } from './test/harness.ts'

let server: RedisServer
const clients: Redis[] = []

beforeAll(async () => {
  server = await startRedisServer()
})

afterAll(async () => {
  await Promise.all(clients.map((client) => client.quit().catch(() => undefined)))
  await server?.stop()
})

function store(): StoragePort {
  const client = new Redis(server.url, { lazyConnect: false, maxRetriesPerRequest: 1 })
  clients.push(client)
  return redisStore({ client, keyPrefix: 'otel:' })
}

it("the second process waits for the first one's refresh lock, then joins its refresh", async () => {
  const mock = createWorkfrontMock({ expiresIn: 600 })
  // The first process's refresh is held at the token endpoint until the second is seen waiting.
  let open = (): void => {}
  const gate = new Promise<void>((resolve) => (open = resolve))
  let refreshSent = (): void => {}
  const refreshing = new Promise<void>((resolve) => (refreshSent = resolve))
  const before = async (request: Request): Promise<void> => {
    const body = new TextDecoder().decode(await request.clone().arrayBuffer())
    if (body.includes('grant_type=refresh_token')) {
      refreshSent()
      await gate
    }
  }
  const first = setup({ workfront: mock, before, store: store(), client: { nearCache: false } })
  const grantId = await first.signIn()
  // The second process: its own store connection, recording, and a store that tells when its lock was refused.
  const inner = store()
  let refused = (): void => {}
  const lockRefused = new Promise<void>((resolve) => (refused = resolve))
  const second = setup({
    store: {
      ...inner,
      acquireLock: async (key, options) => {
        const taken = await inner.acquireLock(key, options)
        if (!taken) refused()
        return taken
      },
      waitForUnlock: inner.waitForUnlock?.bind(inner),
    } as StoragePort,
    workfront: mock,
    client: { nearCache: false },
  })
  mock.clock.advance(601_000)
  const a = first.oauth.getAccessToken(grantId)
  await refreshing
  // Three callers in the second process: one waits for the lock, the others join it in the process.
  const b = Promise.all([0, 1, 2].map(() => second.oauth.getAccessToken(grantId)))
  await lockRefused
  open()
  const [tokenA, tokensB] = await Promise.all([a, b])
  for (const tokenB of tokensB) expect(tokenB.accessToken).toBe(tokenA.accessToken)

  const metricsA = await first.rec.metrics()
  const metricsB = await second.rec.metrics()
  expect(counted(metricsA, Metric.Refreshes, { [Attr.RefreshOutcome]: 'done' })).toBe(1)
  expect(counted(metricsB, Metric.Refreshes, { [Attr.RefreshOutcome]: 'joined' })).toBe(3)
  expect(counted(metricsB, Metric.TokenRequests)).toBe(0)
  expect(counted(metricsB, Metric.LockWaits, { [Attr.LockOutcome]: 'waited' })).toBe(1)
  expect(recorded(metricsB, Metric.LockWaitDuration, { [Attr.LockOutcome]: 'waited' })).toBe(1)
  // The trace context travelled with the refresh claim: each joiner's span links to the refreshing one,
  // whether it waited for the lock or joined the caller that did.
  const [refresher] = first.rec.spans().filter((s) => s.name === 'workfront_oauth.access_token')
  const joiners = second.rec.spans().filter((s) => s.name === 'workfront_oauth.access_token')
  expect(refresher?.attributes[Attr.RefreshOutcome]).toBe('done')
  expect(joiners).toHaveLength(3)
  for (const joiner of joiners) {
    expect(joiner.attributes[Attr.RefreshOutcome]).toBe('joined')
    expect(joiner.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([
      [refresher?.spanContext().traceId, refresher?.spanContext().spanId],
    ])
  }
  const [wait] = second.rec.spans().filter((s) => s.name === 'workfront_oauth.lock.wait')
  expect(wait?.attributes[Attr.LockOutcome]).toBe('waited')
  expect(wait?.attributes[Attr.LockWaitMs]).toBeGreaterThanOrEqual(0)
  const secrets = new Set([...first.secrets, ...second.secrets, tokenA.accessToken, grantId])
  for (const t of [first, second]) {
    expect(leaked(exported(t.rec.spans(), await t.rec.metrics()), secrets)).toEqual([])
    await t.rec.shutdown()
  }
})
