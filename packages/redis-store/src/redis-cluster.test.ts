import { storageContract } from '@workfront-oauth/core/testing'
import { Cluster, type Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { redisKeys } from './keys.ts'
import { redisStore } from './redis-store.ts'
import { closeClient, connect, recommendedOptions, sleep } from './test/support.ts'
import { type RedisCluster, startRedisCluster } from './testing.ts'

let cluster: RedisCluster
let client: Cluster
/** A plain connection to one node, for CLUSTER KEYSLOT. */
let node: Redis

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3 })
  client = new Cluster([...cluster.startupNodes], { redisOptions: recommendedOptions })
  client.on('error', () => {})
  node = connect(`redis://127.0.0.1:${cluster.ports[0]}`, recommendedOptions)
})

afterAll(async () => {
  await closeClient(client)
  await closeClient(node)
  await cluster?.stop()
})

storageContract('redis cluster (3 masters)', { describe, it, expect, beforeEach, afterEach }, async () => {
  const store = redisStore({ client })
  // Real time: the TTLs the contract waits out are the real cluster's.
  return { store, advance: sleep, cleanup: () => store.close() }
})

const awkwardKeys = ['', '{', '}', '{}', '}{', 'grant:{user}:1', 'tx:}x{', '%7B', 'a{b}c{d}', 'é✓ {tag}']

describe('redisStore on Redis Cluster', () => {
  it('keeps the value, lock and channel of every key in one slot, braces and all', async () => {
    for (const key of awkwardKeys) {
      const { value, lock, channel } = redisKeys(key)
      const slots = await Promise.all([value, lock, channel].map((name) => node.cluster('KEYSLOT', name)))
      expect(new Set(slots).size).toBe(1)
    }
  })

  it('runs every operation on keys spread over all masters, braces and all', async () => {
    const store = redisStore({ client })
    try {
      const keys = [...awkwardKeys, ...Array.from({ length: 20 }, (_, i) => `grant:${i}`)]
      const slots = new Set(
        await Promise.all(keys.map((key) => node.cluster('KEYSLOT', redisKeys(key).value))),
      )
      const owners = new Set(
        [...slots].map((slot) => client.slots[Number(slot)]?.[0]).filter((owner) => owner !== undefined),
      )
      // The keys really are spread over the three masters.
      expect(owners.size).toBe(3)
      for (const key of keys) {
        await store.set(key, 'plain', { ttlMs: 60_000 })
        expect(await store.take(key)).toBe('plain')
        expect(await store.compareAndSet(key, 'grant', { expectedVersion: null, ttlMs: 60_000 })).toEqual({
          ok: true,
          version: 1,
        })
        expect(await store.acquireLock(key, { owner: 'a', leaseMs: 60_000 })).toBe(true)
        expect(await store.extendLock(key, { owner: 'a', leaseMs: 60_000 })).toBe(true)
        expect(await store.compareAndSet(key, 'rotated', { expectedVersion: 1 })).toEqual({
          ok: true,
          version: 2,
        })
        // A release published on the slot's master reaches the subscriber, wherever it is connected.
        const waiting = store.waitForUnlock(key, { timeoutMs: 120_000 })
        // Real time: lets the waiter's SUBSCRIBE reach the real cluster, so the release goes through it.
        await sleep(5)
        expect(await store.releaseLock(key, { owner: 'a' })).toBe(true)
        await waiting
        expect(await store.getVersioned(key)).toEqual({ value: 'rotated', version: 2 })
        await store.delete(key)
      }
    } finally {
      await store.close()
    }
  })
})
