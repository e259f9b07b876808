import { storageContract } from '@workfront-oauth/core/testing'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest'
import { redisStore } from './redis-store.ts'

/** Real time: the TTLs the storage contract waits out are the real Redis server's. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

describe('inside workerd', () => {
  it('runs in the Workers runtime', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers')
  })
})

// A connection per test: workerd does not let one test's socket serve another's.
storageContract('redis inside workerd', { describe, it, expect, beforeEach, afterEach }, async () => {
  const client = new Redis({ host: '127.0.0.1', port: inject('redisPort'), maxRetriesPerRequest: 1 })
  const store = redisStore({ client })
  return {
    store,
    advance: sleep,
    cleanup: async () => {
      await store.close()
      client.disconnect()
    },
  }
})
