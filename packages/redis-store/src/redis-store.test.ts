import { createWorkfrontOAuth, isWorkfrontOAuthError } from '@workfront-oauth/core'
import { storageContract } from '@workfront-oauth/core/testing'
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { redisKeys } from './keys.ts'
import { redisStore } from './redis-store.ts'
import {
  closeClient,
  commandCalls,
  connect,
  eventually,
  recommendedOptions,
  sleep,
  storeUnavailable,
  tcpGate,
} from './test/support.ts'
import { type RedisServer, startRedisServer } from './testing.ts'
import type { RedisStore, RedisStoreOptions } from './types.ts'

let server: RedisServer
let client: Redis
let admin: Redis

beforeAll(async () => {
  server = await startRedisServer()
  client = connect(server.url, recommendedOptions)
  admin = connect(server.url, recommendedOptions)
})

afterAll(async () => {
  await closeClient(client)
  await closeClient(admin)
  await server?.stop()
})

/** Stores made by a test, closed after it. */
const opened: RedisStore[] = []
function store(options: Partial<RedisStoreOptions> = {}): RedisStore {
  const created = redisStore({ client, ...options })
  opened.push(created)
  return created
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()))
})

const test = { describe, it, expect, beforeEach, afterEach }

// `advance: sleep` is real time: the TTLs the contract waits out are the real Redis server's.
storageContract('redis', test, async () => {
  const s = redisStore({ client })
  return { store: s, advance: sleep, cleanup: () => s.close() }
})

storageContract('redis (Lua take, polling waits)', test, async () => {
  const s = redisStore({
    client,
    keyPrefix: 'lua:',
    takeStrategy: 'lua',
    waitStrategy: 'poll',
    pollIntervalMs: 20,
  })
  return { store: s, advance: sleep, cleanup: () => s.close() }
})

let n = 0
const key = (label: string): string => `test:${label}:${++n}`

describe('redisStore on a standalone server', () => {
  it('reads a versioned record in one round trip (one HMGET)', async () => {
    const s = store()
    const k = key('round-trip')
    await s.compareAndSet(k, 'grant', { expectedVersion: null })
    for (const target of [k, key('absent')]) {
      await admin.config('RESETSTAT')
      await s.getVersioned(target)
      const calls = Object.entries(await commandCalls(admin)).filter(
        ([name]) => !/^(config|info)\b/.test(name),
      )
      expect(calls).toEqual([['hmget', 1]])
    }
  })

  it('takes with GETDEL unless told to use the Lua script', async () => {
    const k = key('getdel')
    await admin.config('RESETSTAT')
    await store().set(k, 'v')
    expect(await store().take(k)).toBe('v')
    expect((await commandCalls(admin)).getdel).toBe(1)

    await admin.config('RESETSTAT')
    const lua = store({ takeStrategy: 'lua' })
    await lua.set(k, 'v')
    expect(await lua.take(k)).toBe('v')
    expect(await lua.take(k)).toBeNull()
    const calls = await commandCalls(admin)
    expect(calls.getdel).toBeUndefined()
    expect((calls.evalsha ?? 0) + (calls.eval ?? 0)).toBe(2)
  })

  it('writes the documented layout: a string, a hash { v, d } and a lock string with a TTL', async () => {
    const s = store()
    const plain = key('layout-plain')
    const grant = key('layout-grant')
    await s.set(plain, 'value', { ttlMs: 60_000 })
    await s.compareAndSet(grant, 'data', { expectedVersion: null, ttlMs: 60_000 })
    await s.compareAndSet(grant, 'data2', { expectedVersion: 1 })
    await s.acquireLock(grant, { owner: 'me', leaseMs: 60_000 })
    const names = redisKeys(grant)
    expect(await admin.get(redisKeys(plain).value)).toBe('value')
    expect(await admin.pttl(redisKeys(plain).value)).toBeGreaterThan(0)
    expect(await admin.hgetall(names.value)).toEqual({ v: '2', d: 'data2' })
    // A write without a TTL makes the record permanent again.
    expect(await admin.pttl(names.value)).toBe(-1)
    expect(await admin.get(names.lock)).toBe('me')
    expect(await admin.pttl(names.lock)).toBeGreaterThan(0)
  })

  it('does not let the old holder win after its lease ran out under it', async () => {
    const s = store()
    const k = key('slow-holder')
    await s.compareAndSet(k, 'grant-1', { expectedVersion: null })
    // Holder A takes the lock and reads version 1, then stalls past its lease.
    expect(await s.acquireLock(k, { owner: 'A', leaseMs: 150 })).toBe(true)
    const seenByA = await s.getVersioned(k)
    // Real time: the lease is a TTL on the real Redis server.
    await sleep(400)
    // B takes over and rotates.
    expect(await s.acquireLock(k, { owner: 'B', leaseMs: 30_000 })).toBe(true)
    const seenByB = await s.getVersioned(k)
    expect(await s.compareAndSet(k, 'grant-B', { expectedVersion: seenByB!.version })).toEqual({
      ok: true,
      version: 2,
    })
    // A wakes up: it can neither extend nor release B's lock, and its write loses.
    expect(await s.extendLock(k, { owner: 'A', leaseMs: 30_000 })).toBe(false)
    expect(await s.releaseLock(k, { owner: 'A' })).toBe(false)
    expect(await s.compareAndSet(k, 'grant-A', { expectedVersion: seenByA!.version })).toEqual({
      ok: false,
      current: { value: 'grant-B', version: 2 },
    })
    expect(await s.acquireLock(k, { owner: 'C', leaseMs: 30_000 })).toBe(false)
    expect(await s.releaseLock(k, { owner: 'B' })).toBe(true)
  })

  it('wakes a waiter when the lease runs out without a release (holder died)', async () => {
    const s = store()
    const k = key('lease-expiry')
    await s.acquireLock(k, { owner: 'dead', leaseMs: 300 })
    // The timeout is beyond the test's: only the end of the lease can end this wait in time.
    await s.waitForUnlock(k, { timeoutMs: 120_000 })
    expect(await s.acquireLock(k, { owner: 'next', leaseMs: 30_000 })).toBe(true)
  })

  it('returns after timeoutMs while the lock stays held', async () => {
    const s = store()
    const k = key('wait-timeout')
    await s.acquireLock(k, { owner: 'holder', leaseMs: 60_000 })
    await s.waitForUnlock(k, { timeoutMs: 200 })
    expect(await s.acquireLock(k, { owner: 'other', leaseMs: 60_000 })).toBe(false)
  })

  it('never loses a wake-up when the release races the subscription', async () => {
    const s = store()
    for (let i = 0; i < 25; i++) {
      const k = key('race')
      await s.acquireLock(k, { owner: 'a', leaseMs: 60_000 })
      // No await between the two: the release lands before, during or after the SUBSCRIBE.
      const waiting = s.waitForUnlock(k, { timeoutMs: 120_000 })
      const released = s.releaseLock(k, { owner: 'a' })
      expect(await released).toBe(true)
      await waiting
    }
  })

  it('subscribes once per key however many wait, and unsubscribes after the last', async () => {
    const s = store()
    const k = key('refcount')
    const { channel } = redisKeys(k)
    await s.acquireLock(k, { owner: 'a', leaseMs: 60_000 })
    const waits = Array.from({ length: 5 }, () => s.waitForUnlock(k, { timeoutMs: 120_000 }))
    const subscribers = async (): Promise<number> => {
      const [, count] = (await admin.pubsub('NUMSUB', channel)) as [string, number]
      return Number(count)
    }
    await eventually(async () => (await subscribers()) === 1)
    // A second key uses the same connection.
    const other = key('refcount-other')
    await s.acquireLock(other, { owner: 'a', leaseMs: 60_000 })
    const otherWait = s.waitForUnlock(other, { timeoutMs: 120_000 })
    await eventually(
      async () =>
        Number(((await admin.pubsub('NUMSUB', redisKeys(other).channel)) as [string, number])[1]) === 1,
    )
    expect(await subscribers()).toBe(1)
    await s.releaseLock(k, { owner: 'a' })
    await Promise.all(waits)
    await eventually(async () => (await subscribers()) === 0)
    await s.releaseLock(other, { owner: 'a' })
    await otherWait
  })

  it('uses a subscriber you pass, unsubscribes from it on close, and leaves it open', async () => {
    const subscriber = connect(server.url, recommendedOptions)
    try {
      const s = redisStore({ client, subscriber })
      const k = key('own-subscriber')
      await s.acquireLock(k, { owner: 'a', leaseMs: 60_000 })
      const waiting = s.waitForUnlock(k, { timeoutMs: 120_000 })
      await eventually(
        async () =>
          Number(((await admin.pubsub('NUMSUB', redisKeys(k).channel)) as [string, number])[1]) === 1,
      )
      // close() ends the wait at once and unsubscribes, but the connection is the caller's.
      await s.close()
      await waiting
      expect(Number(((await admin.pubsub('NUMSUB', redisKeys(k).channel)) as [string, number])[1])).toBe(0)
      expect(subscriber.status).toBe('ready')
      // After close, waits poll: a release still ends them.
      const polled = s.waitForUnlock(k, { timeoutMs: 120_000 })
      await s.releaseLock(k, { owner: 'a' })
      await polled
    } finally {
      subscriber.disconnect()
    }
  })

  it('closes the subscriber connection it opened itself, and only that one', async () => {
    const name = `owned-${Date.now()}`
    const own = connect(server.url, { ...recommendedOptions, connectionName: name })
    try {
      const s = redisStore({ client: own })
      const k = key('owned')
      await s.acquireLock(k, { owner: 'a', leaseMs: 60_000 })
      const waiting = s.waitForUnlock(k, { timeoutMs: 120_000 })
      const connections = async (): Promise<number> =>
        ((await admin.client('LIST')) as string).split('\n').filter((line) => line.includes(`name=${name}`))
          .length
      await eventually(async () => (await connections()) === 2)
      await s.close()
      await waiting
      await eventually(async () => (await connections()) === 1)
      expect(own.status).toBe('ready')
    } finally {
      own.disconnect()
    }
  })

  it('ends a wait at close even before the server confirmed its subscription', async () => {
    // The subscriber is connected but unanswered: the wait is still waiting for its SUBSCRIBE's reply.
    const gate = await tcpGate(server.port)
    gate.hold()
    const subscriber = connect(`redis://127.0.0.1:${gate.port}`)
    try {
      const s = redisStore({ client, subscriber })
      const k = key('unconfirmed')
      await s.acquireLock(k, { owner: 'a', leaseMs: 60_000 })
      const waiting = s.waitForUnlock(k, { timeoutMs: 120_000 })
      const closing = s.close()
      // Without the wake-up it would wait for the lease (60 s), past the test's own timeout.
      await waiting
      gate.release()
      await closing
    } finally {
      subscriber.disconnect()
      await gate.close()
    }
  })

  it('rejects bad options and arguments with invalid_options', async () => {
    const invalid = (error: unknown): boolean => isWorkfrontOAuthError(error, 'invalid_options')
    expect(() => redisStore({ client, keyPrefix: 'app{1}:' })).toThrow()
    for (const options of [{ keyPrefix: '{' }, { commandTimeoutMs: 0 }, { pollIntervalMs: Number.NaN }]) {
      let error: unknown
      try {
        redisStore({ client, ...options })
      } catch (e) {
        error = e
      }
      expect(invalid(error)).toBe(true)
    }
    const s = store()
    expect(invalid(await s.set(key('bad-ttl'), 'v', { ttlMs: Number.NaN }).catch((e) => e))).toBe(true)
    expect(
      invalid(await s.acquireLock(key('bad-lease'), { owner: 'a', leaseMs: Infinity }).catch((e) => e)),
    ).toBe(true)
    expect(
      invalid(await s.compareAndSet(key('bad-version'), 'v', { expectedVersion: 1.5 }).catch((e) => e)),
    ).toBe(true)
    expect(invalid(await s.waitForUnlock(key('bad-wait'), { timeoutMs: -1 }).catch((e) => e))).toBe(true)
  })

  it('redacts command arguments from the cause of a failed command (no secret in logs)', async () => {
    const s = store()
    const k = key('wrongtype')
    await s.set(k, 'plain')
    const error = await storeUnavailable(
      s.compareAndSet(k, 'refresh-token-SECRET', { expectedVersion: null }),
    )
    expect(error.message).toContain('WRONGTYPE')
    const cause = error.cause as { name: string; command?: { name: string; args: unknown[] } }
    expect(cause.name).toBe('ReplyError')
    expect(cause.command?.name).toMatch(/^eval/)
    expect(JSON.stringify(cause.command)).not.toContain('SECRET')
    expect(JSON.stringify(error)).not.toContain('SECRET')
    expect(String(error)).not.toContain('SECRET')
  })
})

describe('redisStore against a server without GETDEL (Redis < 6.2)', () => {
  let old: RedisServer
  let oldClient: Redis
  let oldAdmin: Redis
  beforeAll(async () => {
    // Renaming GETDEL away gives the reply an old server gives: "ERR unknown command 'getdel'".
    old = await startRedisServer({ args: ['--rename-command', 'GETDEL', ''] })
    oldClient = connect(old.url, recommendedOptions)
    oldAdmin = connect(old.url, recommendedOptions)
  })
  afterAll(async () => {
    await closeClient(oldClient)
    await closeClient(oldAdmin)
    await old?.stop()
  })

  it('detects the missing command once and takes with the Lua script from then on', async () => {
    const s = redisStore({ client: oldClient })
    try {
      await oldAdmin.config('RESETSTAT')
      for (let i = 0; i < 3; i++) {
        const k = key('old-take')
        await s.set(k, `v${i}`)
        expect(await s.take(k)).toBe(`v${i}`)
        expect(await s.take(k)).toBeNull()
      }
      const calls = await commandCalls(oldAdmin)
      // Six takes, all through the script (the first EVALSHA may have needed an EVAL to load it).
      expect(calls.evalsha).toBe(6)
      const k = key('old-race')
      await s.set(k, 'once', { ttlMs: 60_000 })
      const results = await Promise.all(Array.from({ length: 20 }, () => s.take(k)))
      expect(results.filter((r) => r === 'once').length).toBe(1)
    } finally {
      await s.close()
    }
  })
})

describe('redisStore when the server is unreachable, hung or restarted', () => {
  let flaky: RedisServer
  beforeAll(async () => {
    flaky = await startRedisServer()
  })
  afterAll(async () => {
    await flaky?.stop()
  })

  /**
   * Every operation of the port, each on its own key: with ioredis's offline queue, commands the store gave
   * up on may still run once the server is back, and a plain and a versioned write on one key would then
   * collide (WRONGTYPE).
   */
  const everyOperation = (s: RedisStore): Promise<unknown>[] => [
    s.get('op:get'),
    s.set('op:set', 'v', { ttlMs: 1000 }),
    s.take('op:take'),
    s.delete('op:delete'),
    s.getVersioned('op:getVersioned'),
    s.compareAndSet('op:compareAndSet', 'v', { expectedVersion: null }),
    s.acquireLock('op:lock', { owner: 'o', leaseMs: 1000 }),
    s.extendLock('op:lock', { owner: 'o', leaseMs: 1000 }),
    s.releaseLock('op:lock', { owner: 'o' }),
    s.waitForUnlock('op:lock', { timeoutMs: 60_000 }),
  ]

  for (const [label, options] of [
    ['recommended client options', recommendedOptions],
    ['ioredis defaults (offline queue, 20 retries, no command timeout)', {}],
  ] as const) {
    it(`rejects every operation with store_unavailable while the server is down, and recovers (${label})`, async () => {
      const flakyClient = connect(flaky.url, options)
      const s = redisStore({ client: flakyClient, commandTimeoutMs: 500 })
      try {
        await s.set('k', 'v')
        await flaky.stop()
        const errors = await Promise.all(everyOperation(s).map(storeUnavailable))
        for (const error of errors) {
          expect(error.cause).toBeDefined()
          expect(error.message).toMatch(/^Redis store: \w+ failed: /)
        }
        await flaky.start()
        await eventually(async () => (await s.get('k')) === null)
        await s.set('k', 'back')
        expect(await s.get('k')).toBe('back')
      } finally {
        await s.close()
        flakyClient.disconnect()
      }
    })
  }

  it('rejects with store_unavailable when the server hangs, then works again once it answers', async () => {
    const flakyClient = connect(flaky.url) // ioredis defaults: no command timeout of its own
    const s = redisStore({ client: flakyClient, commandTimeoutMs: 300 })
    try {
      await s.set('hung', 'v')
      flaky.pause()
      const errors = await Promise.all(everyOperation(s).map(storeUnavailable))
      for (const error of errors) expect(error.message).toContain('no answer within 300 ms')
      flaky.resume()
      await eventually(async () => (await s.get('hung')) === 'v')
    } finally {
      flaky.resume()
      await s.close()
      flakyClient.disconnect()
    }
  })

  it('lets a new owner lock after a restart lost the held locks, and wakes the waiters', async () => {
    const flakyClient = connect(flaky.url, recommendedOptions)
    const s = redisStore({ client: flakyClient })
    try {
      const k = key('restart')
      expect(await s.acquireLock(k, { owner: 'before', leaseMs: 120_000 })).toBe(true)
      const pttlCalls = async () =>
        Number(/cmdstat_pttl:calls=(\d+)/.exec(await flakyClient.info('commandstats'))?.[1] ?? 0)
      const pttlBefore = await pttlCalls()
      const waiter = s.waitForUnlock(k, { timeoutMs: 120_000 })
      // Restarted only once the waiter waits out the lease: subscribed, and the lock's TTL read (a restart
      // before that read fails it, rightly, with store_unavailable: the server was down when it asked).
      await eventually(async () => {
        const [, count] = (await flakyClient.pubsub('NUMSUB', redisKeys(k).channel)) as [string, number]
        return Number(count) === 1 && (await pttlCalls()) > pttlBefore
      })
      await flaky.restart()
      // The lock (and its lease) died with the old process: the waiter is woken by the dropped
      // subscription, not by its 120 s timeout, and a new owner gets the lock.
      await waiter
      await eventually(() => s.acquireLock(k, { owner: 'after', leaseMs: 30_000 }).catch(() => false))
      expect(await s.extendLock(k, { owner: 'before', leaseMs: 30_000 })).toBe(false)
      expect(await s.releaseLock(k, { owner: 'after' })).toBe(true)
    } finally {
      await s.close()
      flakyClient.disconnect()
    }
  })

  it('subscribes its own subscriber again after a restart: changes are heard again', async () => {
    const flakyClient = connect(flaky.url, recommendedOptions)
    const s = redisStore({ client: flakyClient })
    const seen: (string | null)[] = []
    const stop = s.watchChanges?.((changed) => seen.push(changed))
    try {
      await eventually(async () => {
        await s.compareAndSet(key('before'), 'v', { expectedVersion: null })
        return seen.some((changed) => changed?.startsWith('test:before'))
      })
      await flaky.restart()
      // Heard only if the channel was subscribed again on the new server.
      await eventually(async () => {
        await s.compareAndSet(key('after'), 'v', { expectedVersion: null }).catch(() => undefined)
        return seen.some((changed) => changed?.startsWith('test:after'))
      })
    } finally {
      stop?.()
      await s.close()
      flakyClient.disconnect()
    }
  })
})

describe('redisStore on a server that refuses SUBSCRIBE', () => {
  let locked: RedisServer
  let lockedClient: Redis
  beforeAll(async () => {
    locked = await startRedisServer({ args: ['--rename-command', 'SUBSCRIBE', ''] })
    lockedClient = connect(locked.url, recommendedOptions)
  })
  afterAll(async () => {
    await closeClient(lockedClient)
    await locked?.stop()
  })

  it('falls back to polling: waiters are still woken by a release', async () => {
    const s = redisStore({ client: lockedClient, pollIntervalMs: 20 })
    try {
      for (let i = 0; i < 3; i++) {
        const k = key('no-pubsub')
        await s.acquireLock(k, { owner: 'a', leaseMs: 120_000 })
        const waits = Array.from({ length: 3 }, () => s.waitForUnlock(k, { timeoutMs: 120_000 }))
        // Real time: lets the waiters' first polls reach the real Redis before the release.
        await sleep(50)
        expect(await s.releaseLock(k, { owner: 'a' })).toBe(true)
        await Promise.all(waits)
      }
    } finally {
      await s.close()
    }
  })
})

// Issue #12 finding 10: under allkeys-lru, 18 of 20 grants were evicted and nothing warned.
describe('redisStore checks the eviction policy at start', () => {
  it.each([
    ['allkeys-lru', false],
    ['volatile-lru', false],
    ['noeviction', true],
  ] as const)('maxmemory-policy %s → grantsSafe %s, a warning unless safe', async (policy, safe) => {
    const evicting = await startRedisServer({ args: ['--maxmemory', '64mb', '--maxmemory-policy', policy] })
    const evictingClient = connect(evicting.url, recommendedOptions)
    try {
      const warnings: { message: string; details: unknown }[] = []
      const s = redisStore({
        client: evictingClient,
        logger: { warn: (message, details) => warnings.push({ message, details }) },
      })
      expect(await s.checkEvictionPolicy()).toEqual({ policy, grantsSafe: safe })
      expect(warnings).toEqual(
        safe
          ? []
          : [{ message: expect.stringContaining('noeviction'), details: { maxmemoryPolicy: policy } }],
      )
      // Once per server: a second store on it does not ask again.
      expect(
        await redisStore({ client: evictingClient, checkEvictionPolicy: false }).checkEvictionPolicy(),
      ).toEqual({
        policy,
        grantsSafe: safe,
      })
      expect(warnings).toHaveLength(safe ? 0 : 1)
      await s.close()
    } finally {
      await closeClient(evictingClient)
      await evicting.stop()
    }
  })
})

// Issue #12 finding 9: reads that timed out on a loaded machine failed the request.
describe('redisStore retries reads once', () => {
  it('a read whose first attempt times out (server frozen) is answered by the retry once it thaws', async () => {
    // The thaw comes 300 ms after the first attempt's timeout, which leaves the retry 1.7 s to be answered:
    // timers fire in order, so only a stall of the machine longer than that could fail this test.
    const timeoutMs = 2_000
    const thawAfterMs = timeoutMs + 300
    const slow = connect(server.url, { ...recommendedOptions, commandTimeout: timeoutMs })
    try {
      const k = key('retry')
      const s = store({ client: slow, commandTimeoutMs: timeoutMs })
      await s.set(k, 'value')
      server.pause()
      try {
        const pending = s.get(k)
        // Real time: the freeze is a real redis-server process stopped, the timeout ioredis' own.
        await sleep(thawAfterMs)
        server.resume()
        expect(await pending).toBe('value')
      } finally {
        server.resume()
      }
      const once = store({ client: slow, commandTimeoutMs: timeoutMs, readRetries: 0 })
      server.pause()
      try {
        const failing = storeUnavailable(once.get(k))
        await sleep(thawAfterMs)
        server.resume()
        // Without the retry the same freeze fails the read (ioredis' own commandTimeout or ours).
        expect((await failing).code).toBe('store_unavailable')
      } finally {
        server.resume()
      }
    } finally {
      await closeClient(slow)
    }
  })
})

// Issue #21 finding 6: the core retried a read the store had already retried, so a hung Redis cost four
// timeouts (8 s with the defaults) per signed-in request, against the documented 2 × `commandTimeoutMs`.
describe('one layer owns the retry budget', () => {
  it('a signed-in request against a frozen server costs 1 + readRetries reads, then store_unavailable', async () => {
    const timeoutMs = 250
    const slow = connect(server.url, { ...recommendedOptions, commandTimeout: timeoutMs })
    try {
      const s = store({ client: slow, commandTimeoutMs: timeoutMs, keyPrefix: 'budget:' })
      const oauth = createWorkfrontOAuth({
        clientId: 'client-1',
        clientSecret: 'secret-1',
        redirectUri: 'https://app.example.com/auth/callback',
        baseUrl: 'https://acme.my.workfront.com',
        store: s,
        http: () => Promise.reject(new Error('no token request is expected')),
        nearCache: false,
      })
      const grant = {
        id: 'g1',
        origin: 'https://acme.my.workfront.com',
        accessToken: 'session-1',
        refreshToken: 'refresh-1',
        tokenType: 'sessionID',
        wid: null,
        createdAt: 0,
        obtainedAt: 0,
        expiresAt: null,
        refreshCount: 0,
      }
      await s.compareAndSet('grant:g1', JSON.stringify(grant), { expectedVersion: null })
      expect((await oauth.getAccessToken('g1')).accessToken).toBe('session-1')
      await admin.config('RESETSTAT')
      server.pause()
      try {
        expect((await storeUnavailable(oauth.getAccessToken('g1'))).code).toBe('store_unavailable')
      } finally {
        server.resume()
      }
      // The attempts sat in the socket while the server was frozen; one more command on the same
      // connection is answered only after the server has run them all.
      await slow.ping()
      expect((await commandCalls(admin)).hmget).toBe(2)
    } finally {
      await closeClient(slow)
    }
  })
})
