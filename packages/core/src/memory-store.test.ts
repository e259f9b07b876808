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
