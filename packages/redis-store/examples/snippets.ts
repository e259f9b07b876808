/** The smaller examples of the README, as regions of one type-checked file. */

import { readFileSync } from 'node:fs'
import { isWorkfrontOAuthError } from '@workfront-oauth/core'
import type { redisStore } from '@workfront-oauth/redis-store'
import { Redis } from 'ioredis'

export async function recommendedOptions(url: string): Promise<void> {
  // #region ioredis-options
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1, // fail a request after one reconnection attempt instead of 20
    commandTimeout: 1000, // ioredis rejects a command that got no answer
    connectTimeout: 2000,
  })
  // #endregion
  await redis.quit()
}

export async function errors(store: ReturnType<typeof redisStore>): Promise<void> {
  // #region errors
  try {
    await store.getVersioned('grant:user-42')
  } catch (error) {
    if (isWorkfrontOAuthError(error, 'store_unavailable')) {
      // 503, retry later
    }
  }
  // #endregion
}

export function overTLS(): Redis {
  // #region tls
  const redis = new Redis('rediss://wfo-app:…@redis.example.com:6380', {
    tls: { ca: readFileSync('ca.pem') },
  })
  // #endregion
  return redis
}
