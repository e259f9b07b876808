/**
 * The shapes of the Redis store: the client it takes, its options, what its eviction check finds, and the
 * store itself (the core's `StoragePort` with lock waits and `close()`). Types only; `redisStore`
 * (redis-store.ts) implements them.
 */
import type { Logger, StoragePort } from '@workfront-oauth/core'
import type { Cluster, Redis } from 'ioredis'

/** An ioredis client: a standalone (or Sentinel) `Redis`, or a `Cluster`. */
export type RedisClient = Redis | Cluster

/** Options of `redisStore()`; the README's options table says what each does and its default. */
export interface RedisStoreOptions {
  /** The connection for every command. The store never closes it: its owner does. */
  client: RedisClient
  /** Prepended to every Redis key and channel. Must not contain `{` or `}`. Default `'wfo:'`. */
  keyPrefix?: string
  /**
   * Upper bound, in milliseconds, on each store operation. Past it the operation rejects with
   * `store_unavailable` even if the client would keep queueing or retrying. Default 2000.
   */
  commandTimeoutMs?: number
  /**
   * A dedicated connection for the SUBSCRIBE of `waitForUnlock`, owned by you (the store unsubscribes but
   * never closes it). Without it the store opens `client.duplicate()` on the first wait, owns it, and
   * closes it in `close()`.
   */
  subscriber?: RedisClient
  /**
   * How `waitForUnlock` learns of a release: `'pubsub'` (default) subscribes to the lock's channel;
   * `'poll'` checks the lock every `pollIntervalMs`, for deployments where SUBSCRIBE is not allowed. The
   * store also switches to polling by itself when the server refuses SUBSCRIBE.
   */
  waitStrategy?: 'pubsub' | 'poll'
  /** Interval of the polling wait, in milliseconds. Default 100. */
  pollIntervalMs?: number
  /**
   * `'auto'` (default) takes with GETDEL and, on a server without it (Redis < 6.2), switches once to a Lua
   * GET + DEL; `'lua'` always uses the script.
   */
  takeStrategy?: 'auto' | 'lua'
  /**
   * Reads that fail with a timeout or a connection error (`get`, `getVersioned`, the lock's PTTL) are tried
   * again this many times, each attempt bounded by `commandTimeoutMs`. Writes never are. Default 1.
   */
  readRetries?: number
  /**
   * At start, read the server's `maxmemory-policy` (CONFIG GET, when the server allows it) and warn through
   * `logger` unless it is `noeviction`: under any other policy a full Redis deletes grants whose refresh
   * tokens are still valid, and their users are signed out. Once per server per process. Default true.
   */
  checkEvictionPolicy?: boolean
  /** Where the eviction warning goes. Default `console`. */
  logger?: Logger
}

/** What `checkEvictionPolicy()` found. */
export interface EvictionPolicyCheck {
  /** The server's `maxmemory-policy`, or null when it could not be read (CONFIG denied or renamed). */
  policy: string | null
  /** True for `noeviction`; false when grants can be evicted; null when unknown. */
  grantsSafe: boolean | null
}

/** The core's `StoragePort` on Redis, with lock waits woken by pub/sub and `close()` for what it opened. */
export interface RedisStore extends StoragePort {
  /**
   * Resolves when the lock of `key` is released, when its lease runs out, or after `timeoutMs`, whichever
   * comes first; at once when the lock is not held.
   */
  waitForUnlock(key: string, options: { timeoutMs: number }): Promise<void>
  /** Reads `maxmemory-policy` (see the `checkEvictionPolicy` option); never rejects. */
  checkEvictionPolicy(): Promise<EvictionPolicyCheck>
  /**
   * Ends pending waits (they resolve), unsubscribes, and disconnects the subscriber connection the store
   * opened itself. It does not close `client` or a `subscriber` you passed. Later waits poll.
   */
  close(): Promise<void>
}
