/**
 * @module `@workfront-oauth/redis-store`: the storage port of `@workfront-oauth/core` on Redis and Redis
 * Cluster through ioredis — single-use login transactions, versioned grants written by compare-and-set,
 * and the leased lock that lets one instance at a time refresh a grant, with pub/sub wake-ups for the others.
 */
export { type RedisKeys, redisKeys } from './keys.ts'
export { redisStore } from './redis-store.ts'
export type { EvictionPolicyCheck, RedisClient, RedisStore, RedisStoreOptions } from './types.ts'
