import type { StoragePort } from '@workfront-oauth/core'
import { WorkfrontOAuthError } from '@workfront-oauth/core'
import type {
  CompareAndSetOptions,
  CompareAndSetResult,
  LockOptions,
  SetOptions,
} from '@workfront-oauth/core/adapters'
import { CHANGES_OBJECT, changesChannel, type RelayAccess } from './changes.ts'
import type { WorkfrontOAuthStore } from './object.ts'
import { StoreTimeoutError, within } from './timeout.ts'

export interface DurableObjectStoreOptions {
  /** The binding of the `WorkfrontOAuthStore` class (`env.WORKFRONT_OAUTH_STORE`). */
  namespace: DurableObjectNamespace<WorkfrontOAuthStore>
  /**
   * Upper bound, in milliseconds, on each store operation (a wait: its own timeout plus this). Past it the
   * operation rejects with `store_unavailable`. Default 5000.
   */
  operationTimeoutMs?: number
  /**
   * Where new objects are created, e.g. `'weur'` for data that must stay in western Europe. Default: near
   * the request that creates them (see "Placement" in the README).
   */
  locationHint?: DurableObjectLocationHint
  /**
   * Tell every isolate's near cache of each compare-and-set and delete (`watchChanges`), through the
   * namespace's relay object and a WebSocket per isolate. `false`: no relay, no socket; near caches in
   * other isolates notice a change after their maximum age. Default true.
   */
  changes?: boolean
}

export interface DurableObjectStore extends StoragePort {
  /**
   * Resolves when the lock of `key` is released, when its lease runs out, or after `timeoutMs`, whichever
   * comes first; at once when the lock is not held. The wait is held inside the object: no polling.
   */
  waitForUnlock(key: string, options: { timeoutMs: number }): Promise<void>
  /**
   * Stops the listeners of this store's `watchChanges` (each is told `null`) and, when no store of this
   * isolate listens any more, closes the isolate's socket to the relay. Later operations work as before;
   * later `watchChanges` listeners are told `null` at once.
   */
  close(): Promise<void>
}

const DEFAULT_OPERATION_TIMEOUT_MS = 5000

/**
 * The name of the object that holds `key`: its first two `:`-separated parts. `grant:<id>`, its lock and
 * any `grant:<id>:…` key share one object; each login transaction `tx:<state>` gets its own, created near
 * the browser that signs in. See "Placement" in the README.
 */
export function objectName(key: string): string {
  const first = key.indexOf(':')
  const second = first < 0 ? -1 : key.indexOf(':', first + 1)
  return second < 0 ? key : key.slice(0, second)
}

/**
 * The storage port on a Durable Object namespace of `WorkfrontOAuthStore` objects, one object per grant and
 * per login transaction, reached over RPC through a fresh stub per operation (a stub, like a socket, must
 * not outlive the request that made it). Every failure — the object throws, is overloaded, unreachable or
 * silent past `operationTimeoutMs` — rejects with a `WorkfrontOAuthError` of code `store_unavailable`
 * whose message names the operation and the kind of failure, never a key or a value.
 */
export function durableObjectStore(options: DurableObjectStoreOptions): DurableObjectStore {
  const { namespace, locationHint } = options
  if (typeof namespace?.idFromName !== 'function' || typeof namespace.get !== 'function') {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'durableObjectStore: `namespace` must be the Durable Object namespace binding of WorkfrontOAuthStore',
    )
  }
  const timeoutMs = options.operationTimeoutMs ?? DEFAULT_OPERATION_TIMEOUT_MS
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'durableObjectStore: operationTimeoutMs must be a positive number',
    )
  }

  const placement = locationHint ? { locationHint } : {}
  const object = (key: string): DurableObjectStub<WorkfrontOAuthStore> =>
    namespace.get(namespace.idFromName(objectName(key)), placement)

  const channel = options.changes === false ? null : changesChannel(namespace)
  const relay: RelayAccess = {
    relay: () => namespace.get(namespace.idFromName(CHANGES_OBJECT), placement),
    timeoutMs,
  }
  /** This store's listeners, for `close()`. */
  const listening = new Map<() => void, (key: string | null) => void>()
  let closed = false

  /**
   * Runs one RPC under the timeout and turns every failure into `store_unavailable`. The operation that
   * opens the isolate's socket to the relay waits for it too: a socket whose request ends first is lost.
   */
  async function run<T>(operation: string, task: () => PromiseLike<T>, extraMs = 0): Promise<T> {
    const opening = channel?.join(relay)
    try {
      return await within(task(), timeoutMs + extraMs)
    } catch (error) {
      throw unavailable(operation, error)
    } finally {
      await opening
    }
  }

  /** Tells the relay of a change; never fails the write, which is done (best effort, as the port says). */
  async function announce(key: string): Promise<void> {
    if (channel === null) return
    await within(relay.relay().announce(key), timeoutMs).catch(() => {})
  }

  function watchChanges(listener: (key: string | null) => void): () => void {
    if (closed || channel === null) {
      listener(null)
      return () => {}
    }
    const stop = channel.listen(listener)
    const entry = (): void => {
      stop()
      listening.delete(entry)
    }
    listening.set(entry, listener)
    return entry
  }

  return {
    get: (key) => run('get', () => object(key).get(key)),
    async set(key: string, value: string, opts: SetOptions = {}) {
      const ttlMs = ttl(opts.ttlMs)
      await run('set', () => object(key).set(key, value, ttlMs))
    },
    take: (key) => run('take', () => object(key).take(key)),
    async delete(key) {
      await run('delete', () => object(key).delete(key))
      await announce(key)
    },
    getVersioned: (key) => run('getVersioned', () => object(key).getVersioned(key)),
    async compareAndSet(key: string, value: string, opts: CompareAndSetOptions) {
      const { expectedVersion } = opts
      if (expectedVersion !== null && !Number.isSafeInteger(expectedVersion)) {
        throw new WorkfrontOAuthError(
          'invalid_options',
          'compareAndSet: expectedVersion must be an integer or null',
        )
      }
      const ttlMs = ttl(opts.ttlMs)
      const result = await run<CompareAndSetResult>('compareAndSet', () =>
        object(key).compareAndSet(key, value, expectedVersion, ttlMs),
      )
      if (result.ok) await announce(key)
      return result
    },
    async acquireLock(key, opts: LockOptions) {
      const leaseMs = lease(opts.leaseMs)
      return run('acquireLock', () => object(key).acquireLock(key, opts.owner, leaseMs))
    },
    async extendLock(key, opts: LockOptions) {
      const leaseMs = lease(opts.leaseMs)
      return run('extendLock', () => object(key).extendLock(key, opts.owner, leaseMs))
    },
    releaseLock: (key, opts) => run('releaseLock', () => object(key).releaseLock(key, opts.owner)),
    async waitForUnlock(key, opts) {
      const { timeoutMs: waitMs } = opts
      if (typeof waitMs !== 'number' || Number.isNaN(waitMs) || waitMs < 0) {
        throw new WorkfrontOAuthError('invalid_options', 'waitForUnlock: timeoutMs must be a number ≥ 0')
      }
      const bounded = Math.min(waitMs, MAX_WAIT_MS)
      await run('waitForUnlock', () => object(key).waitForUnlock(key, bounded), bounded)
    },
    ...(channel === null ? {} : { watchChanges }),
    async close() {
      if (closed) return
      closed = true
      const stopped = [...listening]
      for (const [stop, listener] of stopped) {
        stop()
        listener(null)
      }
      await channel?.release(relay)
    },
  } satisfies DurableObjectStore
}

/** Longer waits are cut here (the core re-reads and waits again): `setTimeout` wraps past 2^31 - 1 ms. */
const MAX_WAIT_MS = 600_000

function ttl(value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new WorkfrontOAuthError('invalid_options', 'ttlMs must be a finite number of milliseconds')
  }
  return Math.max(1, Math.ceil(value))
}

function lease(value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new WorkfrontOAuthError('invalid_options', 'leaseMs must be a positive number of milliseconds')
  }
  return Math.ceil(value)
}

/**
 * The error every operation rejects with: fixed text plus the kind of failure. The object's own message is
 * left out (Cloudflare's or ours, it is not for end users); the original error is the `cause`.
 */
function unavailable(operation: string, cause: unknown): WorkfrontOAuthError {
  return new WorkfrontOAuthError(
    'store_unavailable',
    `Durable Object store: ${operation} failed: ${describeFailure(cause)}`,
    { cause },
  )
}

function describeFailure(cause: unknown): string {
  if (cause instanceof StoreTimeoutError) return cause.message
  const flags = (cause ?? {}) as { overloaded?: unknown; retryable?: unknown; remote?: unknown }
  if (flags.overloaded === true) return 'the object is overloaded'
  if (flags.retryable === true) return 'the object was reset or could not be reached (retryable)'
  if (flags.remote === true) return `the object threw (${(cause as Error).name})`
  if (cause instanceof Error) return `error (${cause.name})`
  return 'unknown error'
}
