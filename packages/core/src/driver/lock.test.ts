/** The refresh lock across processes (`lock.ts`): take, wait, poll, time out, keep alive, release. */
import { describe, expect, it } from 'vitest'
import { cryptoRandom } from '../defaults.ts'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { createFakeClock } from '../testing.ts'
import { createRefreshLocks } from './lock.ts'

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
