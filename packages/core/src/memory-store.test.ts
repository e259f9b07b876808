import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryStore } from './memory-store.ts'
import { createFakeClock, storageContract } from './testing.ts'

storageContract('memory', { describe, it, expect, beforeEach, afterEach }, async () => {
  const clock = createFakeClock()
  return {
    store: memoryStore({ clock }),
    advance: async (ms) => clock.advance(ms),
  }
})

describe('memoryStore', () => {
  it('bounds plain values, dropping the least recently written first', async () => {
    const store = memoryStore({ maxValues: 3 })
    for (const k of ['a', 'b', 'c']) await store.set(k, k)
    await store.set('a', 'again')
    await store.set('d', 'd')
    expect(await store.get('b')).toBeNull()
    expect(await store.get('a')).toBe('again')
    expect(await store.get('d')).toBe('d')
    expect(store.size().values).toBe(3)
  })

  it('bounds versioned records on their own budget', async () => {
    const store = memoryStore({ maxRecords: 2 })
    for (const k of ['g1', 'g2', 'g3']) await store.compareAndSet(k, k, { expectedVersion: null })
    expect(await store.getVersioned('g1')).toBeNull()
    expect((await store.getVersioned('g3'))?.value).toBe('g3')
  })

  // Issue #12 finding 1: 100,050 anonymous logins at the default size evicted a signed-in user's grant.
  it('never lets plain values (logins) evict a versioned record (a grant), at the default budgets', async () => {
    const clock = createFakeClock()
    const store = memoryStore({ clock })
    await store.compareAndSet('grant:user', 'tokens', { expectedVersion: null, ttlMs: 90 * 86_400_000 })
    for (let i = 0; i < 100_050; i++) await store.set(`tx:${i}`, 'login', { ttlMs: 15 * 60_000 })
    expect(await store.getVersioned('grant:user')).toEqual({ value: 'tokens', version: 1 })
    expect(store.size()).toEqual({ values: 50_000, records: 1, locks: 0 })
  })

  it('removes expired entries that nobody reads again, a few per write', async () => {
    const clock = createFakeClock()
    const store = memoryStore({ clock })
    for (let i = 0; i < 1_000; i++) await store.set(`tx:${i}`, 'login', { ttlMs: 1_000 })
    await store.compareAndSet('grant:old', 'x', { expectedVersion: null, ttlMs: 1_000 })
    clock.advance(1_001)
    // Writes that never touch the expired keys still clear them.
    for (let i = 0; i < 300; i++) await store.set('tx:live', 'login', { ttlMs: 60_000 })
    for (let i = 0; i < 2; i++) await store.compareAndSet('grant:new', 'y', { expectedVersion: i || null })
    expect(store.size()).toEqual({ values: 1, records: 1, locks: 0 })
  })

  it('refuses budgets that are not whole numbers ≥ 1', () => {
    expect(() => memoryStore({ maxValues: 0 })).toThrow(expect.objectContaining({ code: 'invalid_options' }))
    expect(() => memoryStore({ maxRecords: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'invalid_options' }),
    )
  })
})

describe('memoryStore on a fake clock', () => {
  it('lets a waiter go when its timeout passes on the clock (a holder that never releases)', async () => {
    const clock = createFakeClock()
    const store = memoryStore({ clock })
    await store.acquireLock('k', { owner: 'gone', leaseMs: 60_000 })
    let woken = false
    const waiting = store.waitForUnlock?.('k', { timeoutMs: 1_000 }).then(() => {
      woken = true
    })
    clock.advance(999)
    await Promise.resolve()
    expect(woken).toBe(false)
    clock.advance(1)
    await waiting
    expect(woken).toBe(true)
    expect(clock.pendingTimers()).toBe(0)
  })
})
