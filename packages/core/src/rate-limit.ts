/**
 * Token buckets with a bounded number of keys: what the web flow uses to bound the sign-ins a process
 * starts (each writes a login transaction to the store), globally and per client.
 */
import { WorkfrontOAuthError } from './errors.ts'
import type { Clock } from './ports.ts'

/** A token-bucket limit: `burst` at once, refilled at `perMinute`. */
export interface RateLimit {
  /** Requests allowed at once, from a full bucket. */
  burst: number
  /** Steady rate the bucket refills at. */
  perMinute: number
}

export interface RateLimiter {
  /** Takes one token from `key`'s bucket: 0 when allowed, else the whole seconds until one is back. */
  take(key: string): number
}

interface Bucket {
  tokens: number
  at: number
}

/**
 * One bucket per key, at most `maxKeys` of them: past that the least recently used bucket is forgotten
 * (a forgotten key starts full again, so the bound costs accuracy for keys unseen the longest, never memory).
 */
export function createRateLimiter(
  limit: RateLimit,
  options: { clock: Clock; maxKeys?: number },
): RateLimiter {
  const { burst, perMinute } = checkRateLimit(limit)
  const maxKeys = options.maxKeys ?? 10_000
  const perMs = perMinute / 60_000
  const buckets = new Map<string, Bucket>()
  return {
    take(key) {
      const now = options.clock.now()
      const bucket = buckets.get(key) ?? { tokens: burst, at: now }
      buckets.delete(key)
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string)
      bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, now - bucket.at) * perMs)
      bucket.at = now
      buckets.set(key, bucket)
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1
        return 0
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000))
    },
  }
}

function checkRateLimit(limit: RateLimit): RateLimit {
  const { burst, perMinute } = limit
  if (!Number.isSafeInteger(burst) || burst < 1 || !(perMinute > 0) || !Number.isFinite(perMinute)) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'A rate limit is { burst: whole number ≥ 1, perMinute: number > 0 }',
    )
  }
  return limit
}
