import { describe, expect, it } from 'vitest'
import { cryptoRandom } from '../defaults.ts'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { parts, storedGrant } from '../test/parts.ts'
import { createFakeClock } from '../testing.ts'
import { createAccessTokens, createRefreshLocks } from './refresh.ts'

/** Lets pending promise callbacks run (a fake clock never moves by itself). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

function locksOn(
  store: StoragePort,
  clock = createFakeClock(),
  options: { leaseMs?: number; lockWaitMs?: number } = {},
) {
  return createRefreshLocks({
    store,
    clock,
    random: cryptoRandom,
    leaseMs: options.leaseMs ?? 15_000,
    lockWaitMs: options.lockWaitMs ?? 30_000,
  })
}

describe('refresh locks', () => {
  it('one session takes the lock; another waits until it is released, then re-reads', async () => {
    const clock = createFakeClock()
    const locks = locksOn(memoryStore({ clock }), clock)
    const a = locks.session()
    const b = locks.session()
    expect(await a.acquire('g')).toBe('acquired')
    let outcome: string | undefined
    const waiting = b.acquire('g').then((o) => {
      outcome = o
    })
    await settle()
    expect(outcome).toBeUndefined()
    await a.release('g')
    await waiting
    expect(outcome).toBe('waited')
    expect(await b.acquire('g')).toBe('acquired')
  })

  it('polls on the clock when the store has no wake-up channel', async () => {
    const clock = createFakeClock()
    const { waitForUnlock: _, ...polling } = memoryStore({ clock })
    const locks = locksOn(polling, clock)
    await locks.session().acquire('g')
    let outcome: string | undefined
    const waiting = locks
      .session()
      .acquire('g')
      .then((o) => {
        outcome = o
      })
    await settle()
    expect(clock.pendingTimers()).toBe(1)
    expect(outcome).toBeUndefined()
    // The poll delay is at most 25 + 255 + 75 ms.
    clock.advance(355)
    await waiting
    expect(outcome).toBe('waited')
  })

  it('times out once the wait deadline has passed on the clock', async () => {
    const clock = createFakeClock()
    const locks = locksOn(memoryStore({ clock }), clock, { lockWaitMs: 1_000, leaseMs: 60_000 })
    await locks.session().acquire('g')
    const b = locks.session()
    const waiting = b.acquire('g')
    await settle()
    clock.advance(1_000)
    expect(await waiting).toBe('waited')
    expect(await b.acquire('g')).toBe('timeout')
  })

  it('bounds the rounds when the clock stands still and the store wakes waiters at once', async () => {
    const store: StoragePort = { ...memoryStore(), waitForUnlock: async () => {} }
    const locks = locksOn(store)
    await locks.session().acquire('g')
    const b = locks.session()
    let waited = 0
    while ((await b.acquire('g')) === 'waited') waited++
    expect(waited).toBe(1_000)
  })

  it('keeps the lease alive on the clock while a refresh runs, and stops when told', async () => {
    const clock = createFakeClock()
    const store = memoryStore({ clock })
    const locks = locksOn(store, clock, { leaseMs: 300 })
    const a = locks.session()
    await a.acquire('g')
    const stop = a.keepAlive('g')
    for (let i = 0; i < 10; i++) clock.advance(100)
    expect(await store.acquireLock('grant:g', { owner: 'other', leaseMs: 300 })).toBe(false)
    stop()
    expect(clock.pendingTimers()).toBe(0)
    clock.advance(300)
    expect(await store.acquireLock('grant:g', { owner: 'other', leaseMs: 300 })).toBe(true)
  })

  it('releases what a session holds after a failure, and nothing of anyone else', async () => {
    const store = memoryStore()
    const locks = locksOn(store)
    const a = locks.session()
    await a.acquire('one')
    await a.acquire('two')
    await store.acquireLock('grant:three', { owner: 'someone', leaseMs: 60_000 })
    await a.releaseHeld()
    expect(await store.acquireLock('grant:one', { owner: 'x', leaseMs: 1 })).toBe(true)
    expect(await store.acquireLock('grant:two', { owner: 'x', leaseMs: 1 })).toBe(true)
    expect(await store.acquireLock('grant:three', { owner: 'x', leaseMs: 1 })).toBe(false)
  })
})

/** Counts storage reads and lock attempts of a memory store on the parts' clock. */
function counted(clock = createFakeClock()) {
  const inner = memoryStore({ clock })
  const counts = { reads: 0, locks: 0 }
  const store: StoragePort = {
    ...inner,
    getVersioned: (key) => {
      counts.reads++
      return inner.getVersioned(key)
    },
    acquireLock: (key, options) => {
      counts.locks++
      return inner.acquireLock(key, options)
    },
  }
  return { clock, store, counts }
}

describe('access tokens', () => {
  it('hands out the stored token while it is good, without running the machine further', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    expect(await p.access.get(grant.id)).toEqual({
      grantId: grant.id,
      origin: grant.origin,
      accessToken: grant.accessToken,
      tokenType: 'sessionID',
    })
    expect(p.endpoint.counters.refresh).toBe(0)
  })

  it('refreshes a token known to be expired on the clock', async () => {
    const p = parts()
    const grant = await storedGrant(p, { expiresAt: p.clock.now() + 3_600_000 })
    p.clock.advance(3_600_000 - 60_000)
    expect((await p.access.get(grant.id)).accessToken).not.toBe(grant.accessToken)
    expect(p.endpoint.counters.refresh).toBe(1)
  })

  it('runs one refresh for concurrent callers in the process (single flight)', async () => {
    const { clock, store, counts } = counted()
    const p = parts({ clock, store })
    const grant = await storedGrant(p)
    const tokens = await Promise.all(
      Array.from({ length: 50 }, () => p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })),
    )
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
    expect(tokens[0]?.accessToken).not.toBe(grant.accessToken)
    expect(counts.locks).toBe(1)
    expect(p.endpoint.counters.refresh).toBe(1)
  })

  it('answers late callers holding the replaced token from memory, until recentMs has passed', async () => {
    const { clock, store, counts } = counted()
    const p = parts({ clock, store })
    const grant = await storedGrant(p)
    const fresh = await p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })
    counts.reads = 0
    expect(await p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })).toEqual(fresh)
    expect(counts.reads).toBe(0)
    clock.advance(10_000)
    // Past the memo: read again; the stored token is not the rejected one, so no second refresh.
    expect(await p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })).toEqual(fresh)
    expect(counts.reads).toBe(1)
    expect(p.endpoint.counters.refresh).toBe(1)
  })

  it('keeps the memo bounded (oldest out) and forgets a grant when told', async () => {
    const { clock, store, counts } = counted()
    const p = parts({ clock, store })
    const access = createAccessTokens({ ...p, maxRecent: 2 })
    const grants = [await storedGrant(p), await storedGrant(p), await storedGrant(p)]
    for (const g of grants) await access.get(g.id, { rejectedAccessToken: g.accessToken })
    const readsFor = async (index: number): Promise<number> => {
      const g = grants[index] as (typeof grants)[number]
      const before = counts.reads
      await access.get(g.id, { rejectedAccessToken: g.accessToken })
      return counts.reads - before
    }
    expect(await readsFor(0)).toBe(1)
    expect(await readsFor(2)).toBe(0)
    access.forget((grants[2] as (typeof grants)[number]).id)
    expect(await readsFor(2)).toBe(1)
    expect(p.endpoint.counters.refresh).toBe(3)
  })

  it('reports a grant that is gone as grant_not_found', async () => {
    const p = parts()
    await expect(p.access.get('missing')).rejects.toMatchObject({ code: 'grant_not_found' })
  })
})
