/**
 * A Redis store on a connection of its own, for one request of the Worker (workerd binds a socket to the
 * request that opened it). Only the entries that offer Redis import this module, and with it ioredis.
 */
import { redisStore } from '@workfront-oauth/redis-store'
import { Redis } from 'ioredis'
import type { RequestStore } from './worker-app.ts'

export async function connectRedis(url: string): Promise<RequestStore> {
  const client = new Redis(url, {
    // Fail fast rather than queue while Redis is away; the store maps failures to `store_unavailable`.
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    enableAutoPipelining: true,
  })
  const store = redisStore({ client })
  return {
    store,
    close: () =>
      store
        .close()
        .then(() => client.quit())
        .then(
          () => undefined,
          () => client.disconnect(),
        ),
  }
}
