/**
 * Where a logical key lives in Redis.
 *
 * Redis Cluster hashes only the part of a key between the first `{` and the next `}` (the hash tag), so a
 * key's value, its lock and its wake-up channel share one tag and therefore one slot: scripts that touch
 * them stay legal on a cluster, and sharded pub/sub could carry the channel.
 * @see https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/#hash-tags
 */
import { WorkfrontOAuthError } from '@workfront-oauth/core'

/** The Redis names used for one logical key. */
export interface RedisKeys {
  /** The plain value (a string) or the versioned record (a hash with fields `v` and `d`). */
  value: string
  /** The lock: a string holding the owner token, with the lease as its TTL. */
  lock: string
  /** The pub/sub channel on which a release is announced. */
  channel: string
}

/**
 * Percent-encodes `%`, `{` and `}` so that a logical key can never end the hash tag early or open a second
 * one. The encoding is injective, so two logical keys never share a Redis key. The empty key becomes `%`,
 * which no other key encodes to (every other `%` is followed by two hex digits): an empty tag `{}` would
 * make Redis hash the whole name and split the value from its lock.
 */
export function encodeKeyTag(key: string): string {
  if (key === '') return '%'
  return key.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'))
}

/** Throws `invalid_options` when the prefix would break the hash tag. */
export function checkKeyPrefix(keyPrefix: string): void {
  if (typeof keyPrefix !== 'string' || /[{}]/.test(keyPrefix)) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'keyPrefix must be a string without "{" or "}": the store puts the hash tag after it',
    )
  }
}

/**
 * The Redis names of a logical key: `${keyPrefix}{${encoded key}}`, the same followed by `:lock`, and by
 * `:unlock` for the channel. Useful to inspect the store with `redis-cli`.
 */
export function redisKeys(key: string, options: { keyPrefix?: string } = {}): RedisKeys {
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
  checkKeyPrefix(keyPrefix)
  const value = `${keyPrefix}{${encodeKeyTag(key)}}`
  return { value, lock: `${value}:lock`, channel: `${value}:unlock` }
}

export const DEFAULT_KEY_PREFIX = 'wfo:'
