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
  it('bounds its size, dropping the oldest entries first', async () => {
    const store = memoryStore({ maxEntries: 3 })
    for (const k of ['a', 'b', 'c', 'd']) await store.set(k, k)
    expect(await store.get('a')).toBeNull()
    expect(await store.get('d')).toBe('d')
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
