import { isWorkfrontOAuthError } from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { Redis } from 'ioredis'

// Your connection: you create it, you close it. Fail fast rather than queue while Redis is away.
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  connectTimeout: 2000,
})

// A StoragePort: give it to the core. The calls below are what the core does with it.
const store = redisStore({ client: redis, keyPrefix: 'myapp:wfo:', commandTimeoutMs: 2000 })

// A login transaction: written at /login, taken exactly once at /callback.
await store.set('tx:3f9c', JSON.stringify({ codeVerifier: '…', host: 'acme.my.workfront.com' }), {
  ttlMs: 10 * 60_000,
})
const transaction = await store.take('tx:3f9c')

// A refresh under the grant's lock: re-read, write with compare-and-set, release.
const grantKey = 'grant:user-42'
const owner = crypto.randomUUID()
try {
  if (await store.acquireLock(grantKey, { owner, leaseMs: 15_000 })) {
    try {
      const current = await store.getVersioned(grantKey)
      const rotated = JSON.stringify({ refreshToken: '…', sessionID: '…' })
      const result = await store.compareAndSet(grantKey, rotated, {
        expectedVersion: current?.version ?? null,
      })
      if (!result.ok) console.log('another writer won; its grant is', result.current?.version)
    } finally {
      await store.releaseLock(grantKey, { owner })
    }
  } else {
    // Someone else is refreshing: wait for its release (pub/sub), then read what it wrote.
    await store.waitForUnlock(grantKey, { timeoutMs: 15_000 })
    console.log('refreshed by another instance:', (await store.getVersioned(grantKey))?.version)
  }
} catch (error) {
  if (isWorkfrontOAuthError(error, 'store_unavailable')) console.error('Redis is down:', error.message)
  else throw error
}
console.log(transaction !== null)

// Shutdown: the store closes the subscriber connection it opened; then close yours.
await store.close()
await redis.quit()
