/**
 * `redisStore()`: the core's storage port on Redis or Redis Cluster through ioredis, its commands bounded
 * by `commandTimeoutMs`, its lock waits woken through the unlock channels.
 */

import { consoleLogger, WorkfrontOAuthError } from '@workfront-oauth/core'
import type {
  CompareAndSetOptions,
  CompareAndSetResult,
  LockOptions,
  SetOptions,
  Versioned,
} from '@workfront-oauth/core/adapters'
import { isRefused, isReplyError, isUnknownCommand, StoreTimeoutError, unavailable } from './failures.ts'
import { checkKeyPrefix, DEFAULT_KEY_PREFIX, type RedisKeys, redisKeys } from './keys.ts'
import {
  compareAndSetScript,
  deleteScript,
  extendLockScript,
  isNoScriptError,
  type LuaScript,
  releaseLockScript,
  scriptSHA,
  takeScript,
} from './scripts.ts'
import type { EvictionPolicyCheck, RedisClient, RedisStore, RedisStoreOptions } from './types.ts'
import { type SubscriberConnection, unlockChannels } from './unlock-channels.ts'

const DEFAULT_COMMAND_TIMEOUT_MS = 2000
const DEFAULT_POLL_INTERVAL_MS = 100
/** Added to a remaining lease so that a waiter wakes just after the server expired the lock. */
const LEASE_SLACK_MS = 2
/** `setTimeout` fires at once for delays past 2^31 - 1 ms. */
const MAX_DELAY_MS = 2_147_483_647

/** The subset of ioredis `Redis` and `Cluster` that carries events and can be duplicated. */
interface ConnectionHandle extends SubscriberConnection {
  readonly isCluster?: boolean
  duplicate(override?: { autoResubscribe?: boolean }): ConnectionHandle
  on(event: 'message', listener: (channel: string, message: string) => void): unknown
  on(event: 'close', listener: () => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  disconnect(): void
}

/** Servers (by address) whose eviction policy this process has checked: one CONFIG GET each. */
const checkedServers = new Map<string, Promise<EvictionPolicyCheck>>()

/** `host:port` (or the cluster's first node) of a client, to check each server once per process. */
function serverIdentity(client: RedisClient): string | null {
  const options = (client as { options?: { host?: unknown; port?: unknown; path?: unknown } }).options
  if (options && (typeof options.host === 'string' || typeof options.path === 'string')) {
    return `${String(options.path ?? options.host)}:${String(options.port ?? '')}`
  }
  const nodes = (client as { startupNodes?: unknown[] }).startupNodes
  return Array.isArray(nodes) ? `cluster:${JSON.stringify(nodes[0] ?? null)}` : null
}

/**
 * The storage port on Redis or Redis Cluster through ioredis.
 *
 * Plain values are strings (`SET … PX`, `GETDEL`); versioned records are hashes `{ v, d }` read with one
 * HMGET and written by a compare-and-set script; a lock is a string `SET … NX PX` holding the owner token,
 * extended and released by compare-and-(PEXPIRE|DEL) scripts, the release announced on the key's channel.
 * Every operation rejects with a `WorkfrontOAuthError` of code `store_unavailable` (the ioredis error as
 * `cause`) when Redis fails or does not answer within `commandTimeoutMs`.
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  const { client } = options
  if (typeof client !== 'object' || client === null) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'redisStore: `client` must be an ioredis Redis or Cluster',
    )
  }
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
  checkKeyPrefix(keyPrefix)
  const timeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS)
  const pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS)
  const readRetries = options.readRetries ?? 1
  if (!Number.isSafeInteger(readRetries) || readRetries < 0) {
    throw new WorkfrontOAuthError('invalid_options', 'redisStore: readRetries must be a whole number ≥ 0')
  }
  const logger = options.logger ?? consoleLogger
  let waitStrategy = options.waitStrategy ?? 'pubsub'
  let useGETDEL = (options.takeStrategy ?? 'auto') === 'auto'
  let closed = false

  const keys = (key: string): RedisKeys => redisKeys(key, { keyPrefix })
  /** Where versioned writes and deletes are announced (the logical key as message), for near caches. */
  const changesChannel = `${keyPrefix}changes`

  let ownedSubscriber: ConnectionHandle | undefined
  const channels = unlockChannels(() => {
    if (options.subscriber) return options.subscriber as unknown as SubscriberConnection
    const handle = client as unknown as ConnectionHandle
    // The channels subscribe again themselves once the connection is back (and learn when that is done).
    // ioredis' own resubscription is left off: its SUBSCRIBE, if still on its way at `close()`, would be
    // rejected with nobody listening. A cluster keeps its own, which knows which node to subscribe on.
    ownedSubscriber = handle.isCluster ? handle.duplicate() : handle.duplicate({ autoResubscribe: false })
    // Connection errors surface through the subscribe calls; without a listener ioredis logs each one.
    ownedSubscriber.on('error', () => {})
    return ownedSubscriber
  })

  /** Runs one store operation under the timeout and turns every failure into `store_unavailable`. */
  async function run<T>(operation: string, task: () => Promise<T>): Promise<T> {
    try {
      return await attempt(task)
    } catch (error) {
      throw unavailable(operation, error)
    }
  }

  /**
   * An idempotent read: tried again (`readRetries` times) after a timeout or a connection error, never
   * after a reply error (WRONGTYPE, NOPERM…), which would only repeat itself.
   */
  async function read<T>(operation: string, task: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt(task)
      } catch (error) {
        if (i >= readRetries || isReplyError(error)) throw unavailable(operation, error)
      }
    }
  }

  /**
   * One command under `commandTimeoutMs`. When the timer fires, the event loop gets one more turn before
   * the command is given up: on a busy machine the timer and the reply can become due in the same turn,
   * and timers run first, so a reply already in the socket would otherwise lose to its own timeout.
   */
  async function attempt<T>(task: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timer = setTimeout(() => reject(new StoreTimeoutError(`no answer within ${timeoutMs} ms`)), 0)
      }, timeoutMs)
    })
    try {
      return await Promise.race([task(), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  function checkEvictionPolicy(): Promise<EvictionPolicyCheck> {
    const identity = serverIdentity(client)
    const known = identity === null ? undefined : checkedServers.get(identity)
    if (known !== undefined) return known
    const check = attempt(() => client.config('GET', 'maxmemory-policy') as Promise<unknown>).then(
      (reply): EvictionPolicyCheck => {
        const policy = Array.isArray(reply) && typeof reply[1] === 'string' ? reply[1] : null
        if (policy === null) return { policy: null, grantsSafe: null }
        const grantsSafe = policy === 'noeviction'
        if (!grantsSafe) {
          logger.warn(
            `Redis may evict grants: its maxmemory-policy is ${policy}. Users whose grant is evicted are signed out although their refresh token is still valid; use noeviction (or a Redis of its own for the store)`,
            { maxmemoryPolicy: policy },
          )
        }
        return { policy, grantsSafe }
      },
      // Not allowed (ACL, CONFIG renamed on managed Redis) or not reachable: nothing to say.
      (): EvictionPolicyCheck => ({ policy: null, grantsSafe: null }),
    )
    if (identity !== null) checkedServers.set(identity, check)
    return check
  }
  if (options.checkEvictionPolicy ?? true) void checkEvictionPolicy()

  async function evalScript(script: LuaScript, key: string, args: (string | number)[]): Promise<unknown> {
    const sha = await scriptSHA(script)
    try {
      return await client.evalsha(sha, 1, key, ...args)
    } catch (error) {
      if (!isNoScriptError(error)) throw error
      return client.eval(script.source, 1, key, ...args)
    }
  }

  async function pollUnlock(lock: string, deadline: number): Promise<void> {
    for (;;) {
      const ttl = await read('waitForUnlock', () => client.pttl(lock))
      const left = deadline - Date.now()
      if (ttl === -2 || left <= 0) return
      await delay(Math.min(pollIntervalMs, left, leaseLeft(ttl)))
    }
  }

  /**
   * Changes announced on the `${keyPrefix}changes` channel by every `compareAndSet` and `delete` (the
   * logical key as message), for the core's near cache of grants. One channel for the whole prefix:
   * PUBLISH reaches every node of a cluster, and changes are rare (a sign-in, a refresh, a sign-out).
   */
  function watchChanges(listener: (key: string | null) => void): () => void {
    if (closed) {
      listener(null)
      return () => {}
    }
    const subscription = channels.listen(changesChannel, listener)
    // Subscribed: changes made before the server confirmed went unheard, so what the listener learnt until
    // now may be stale. Not subscribed (refused, unreachable): nothing will be heard. Either way it is told.
    const unheard = (): void => listener(null)
    subscription.ready.then(unheard, unheard)
    return subscription.stop
  }

  return {
    async get(key) {
      return read('get', () => client.get(keys(key).value))
    },

    async set(key: string, value: string, opts: SetOptions = {}) {
      const { value: name } = keys(key)
      if (opts.ttlMs === undefined) {
        await run('set', () => client.set(name, value))
      } else {
        const ttl = milliseconds('ttlMs', opts.ttlMs)
        await run('set', () => client.set(name, value, 'PX', ttl))
      }
    },

    async take(key) {
      const { value: name } = keys(key)
      return run('take', async () => {
        if (useGETDEL) {
          try {
            return await client.getdel(name)
          } catch (error) {
            if (!isUnknownCommand(error, 'getdel')) throw error
            useGETDEL = false
          }
        }
        return (await evalScript(takeScript, name, [])) as string | null
      })
    },

    async delete(key) {
      await run('delete', () => evalScript(deleteScript, keys(key).value, [changesChannel, key]))
    },

    async getVersioned(key): Promise<Versioned | null> {
      const [version, value] = await read('getVersioned', () => client.hmget(keys(key).value, 'v', 'd'))
      return decodeVersioned(version, value)
    },

    async compareAndSet(
      key: string,
      value: string,
      opts: CompareAndSetOptions,
    ): Promise<CompareAndSetResult> {
      const { expectedVersion } = opts
      if (expectedVersion !== null && !Number.isSafeInteger(expectedVersion)) {
        throw new WorkfrontOAuthError(
          'invalid_options',
          'compareAndSet: expectedVersion must be an integer or null',
        )
      }
      const ttl = opts.ttlMs === undefined ? '' : milliseconds('ttlMs', opts.ttlMs)
      const reply = (await run('compareAndSet', () =>
        evalScript(compareAndSetScript, keys(key).value, [
          expectedVersion ?? '',
          value,
          ttl,
          changesChannel,
          key,
        ]),
      )) as [number, (string | number)?, string?]
      if (reply[0] === 1) return { ok: true, version: Number(reply[1]) }
      return { ok: false, current: decodeVersioned(reply[1], reply[2]) }
    },

    async acquireLock(key, opts: LockOptions) {
      const lease = milliseconds('leaseMs', opts.leaseMs)
      const reply = await run('acquireLock', () => client.set(keys(key).lock, opts.owner, 'PX', lease, 'NX'))
      return reply === 'OK'
    },

    async extendLock(key, opts: LockOptions) {
      const lease = milliseconds('leaseMs', opts.leaseMs)
      const reply = await run('extendLock', () =>
        evalScript(extendLockScript, keys(key).lock, [opts.owner, lease]),
      )
      return reply === 1
    },

    async releaseLock(key, opts) {
      const { lock, channel } = keys(key)
      const reply = await run('releaseLock', () => evalScript(releaseLockScript, lock, [opts.owner, channel]))
      return reply === 1
    },

    async waitForUnlock(key, opts) {
      const { timeoutMs: waitMs } = opts
      if (typeof waitMs !== 'number' || Number.isNaN(waitMs) || waitMs < 0) {
        throw new WorkfrontOAuthError('invalid_options', 'waitForUnlock: timeoutMs must be a number ≥ 0')
      }
      const deadline = Date.now() + waitMs
      const { lock, channel } = keys(key)
      if (waitStrategy === 'poll' || closed) return pollUnlock(lock, deadline)

      let wake = (): void => {}
      const released = new Promise<void>((resolve) => {
        wake = resolve
      })
      const subscription = channels.listen(channel, wake)
      try {
        try {
          // `released` settles first when the store is closed (or the subscriber drops) meanwhile.
          await run('waitForUnlock', () => Promise.race([subscription.ready, released]))
        } catch (error) {
          subscription.stop()
          // Closed meanwhile, the subscriber with it: wake now, as `close` wakes every waiter.
          if (closed) return
          // Refused (ACL, proxy, renamed command): poll from now on. Unreachable: poll this time; the
          // poll fails fast with store_unavailable if the server is down for the main connection too.
          if (isRefused((error as Error).cause)) waitStrategy = 'poll'
          return await pollUnlock(lock, deadline)
        }
        if (closed) return
        // Checked only once subscribed: a release between the check and the SUBSCRIBE would be missed.
        const ttl = await run('waitForUnlock', () => client.pttl(lock))
        if (ttl === -2) return
        // A holder that dies never publishes: wake when its lease runs out.
        await delay(Math.min(deadline - Date.now(), leaseLeft(ttl)), released)
      } finally {
        subscription.stop()
      }
    },

    checkEvictionPolicy,
    // Not with `waitStrategy: 'poll'`, which says SUBSCRIBE is not allowed: near caches keep to their age.
    ...(options.waitStrategy === 'poll' ? {} : { watchChanges }),

    async close() {
      if (closed) return
      closed = true
      const subscribed = channels.close()
      if (ownedSubscriber) {
        ownedSubscriber.disconnect()
        ownedSubscriber = undefined
      } else if (options.subscriber && subscribed.length > 0) {
        const subscriber = options.subscriber as unknown as SubscriberConnection
        await Promise.allSettled(
          subscribed.map((channel) => run('close', () => subscriber.unsubscribe(channel))),
        )
      }
    },
  } satisfies RedisStore
}

function decodeVersioned(
  version: string | number | null | undefined,
  value: string | null | undefined,
): Versioned | null {
  if (version == null || value == null) return null
  return { value, version: Number(version) }
}

/** Milliseconds until a lock with this PTTL reply is free; unbounded for a lock without expiry (-1). */
function leaseLeft(ttl: number): number {
  return ttl >= 0 ? ttl + LEASE_SLACK_MS : Number.POSITIVE_INFINITY
}

/** Sleeps `ms` (clamped to what `setTimeout` accepts), or less if `until` settles first. */
async function delay(ms: number, until?: Promise<void>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.min(Math.max(0, ms), MAX_DELAY_MS))
  })
  try {
    await Promise.race(until === undefined ? [elapsed] : [elapsed, until])
  } finally {
    clearTimeout(timer)
  }
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new WorkfrontOAuthError('invalid_options', `redisStore: ${name} must be a positive number`)
  }
  return value
}

/** Redis wants whole, positive milliseconds; a TTL of 0 (already expired) becomes 1 ms. */
function milliseconds(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WorkfrontOAuthError('invalid_options', `${name} must be a finite number of milliseconds`)
  }
  return Math.max(1, Math.ceil(value))
}
