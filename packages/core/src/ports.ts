/**
 * The ports the core talks through. Each is a tiny interface; adapters are factory functions returning
 * object literals that `satisfies` them (see `memoryStore()`, `@workfront-oauth/redis-store`).
 */

/** A fetch-shaped function: global `fetch`, a Hono app's `fetch`, the Workfront mock's `fetch`… */
export type HTTPClient = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

/**
 * Time: milliseconds since the epoch, and timers that run on the same time. A fake clock in tests
 * (`createFakeClock()` fires its timers when it is advanced), `Date.now` and `setTimeout` otherwise.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /**
   * Runs `callback` once, `ms` from now on this clock; returns a function that cancels it. Optional so
   * that a plain `{ now }` stays a clock: without it, timers are real (`setTimeout`).
   */
  setTimer?(ms: number, callback: () => void): () => void
}

/** Cryptographically secure random bytes (default `crypto.getRandomValues`). */
export interface RandomSource {
  /** `length` cryptographically strong random bytes. */
  bytes(length: number): Uint8Array
}

/** A stored value with the version that compare-and-set writes check. */
export interface Versioned {
  /** The stored value. */
  value: string
  /** Starts at 1 when the key is created and grows by one on every write. */
  version: number
}

/** The outcome of `StoragePort.compareAndSet()`: the new version, or what is stored instead. */
export type CompareAndSetResult = { ok: true; version: number } | { ok: false; current: Versioned | null }

/** Options of a storage write. */
export interface SetOptions {
  /** Time to live in milliseconds; absent means the value does not expire. */
  ttlMs?: number
}

/** Options of `StoragePort.compareAndSet()`. */
export interface CompareAndSetOptions extends SetOptions {
  /** The version the writer read; `null` means "the key must not exist". */
  expectedVersion: number | null
}

/** Options of a storage lock. */
export interface LockOptions {
  /** A random token that identifies the holder: only the holder can extend or release the lock. */
  owner: string
  /** How long the lock lasts unless extended: a holder that dies frees it after this. */
  leaseMs: number
}

/**
 * Storage for login transactions (single-use values with a TTL) and grants (versioned records written
 * with compare-and-set), plus the lock that coordinates refreshes across processes.
 *
 * Keys are logical (`tx:…`, `txb:…`, `grant:…`); an implementation may prefix them and must keep a key, its lock and
 * its wake-up channel together (one Redis Cluster slot). A key holds either a plain value or a versioned
 * record, never both: implementations may store them differently and reject the mix. Every method rejects with an error (the driver
 * turns it into `store_unavailable`) rather than hanging: implementations apply their own timeouts. The
 * driver calls each method once and never retries: an implementation that retries what is safe to retry
 * (an idempotent read after a timeout) does it itself, inside the bound it documents, so that one layer
 * owns the time a request can wait on a failing store (the Redis store: `commandTimeoutMs` ×
 * (1 + `readRetries`)).
 */
export interface StoragePort {
  /** Plain values: login transactions and the like. */
  get(key: string): Promise<string | null>
  /** Writes a plain value, with an optional TTL. */
  set(key: string, value: string, options?: SetOptions): Promise<void>
  /** Atomically reads and deletes: of two racing callers, exactly one gets the value. */
  take(key: string): Promise<string | null>
  /** Deletes a plain or versioned value. */
  delete(key: string): Promise<void>

  /** Versioned records (grants). */
  getVersioned(key: string): Promise<Versioned | null>
  /**
   * Writes `value` if the stored version equals `expectedVersion` (or the key is absent when it is
   * `null`). The version is the fence: a writer whose lease ran out holds an old version and loses.
   * Versions restart at 1 when a key is recreated, so records that may be deleted and written again
   * under the same key need keys that are never reused (grants get a fresh random id per sign-in).
   */
  compareAndSet(key: string, value: string, options: CompareAndSetOptions): Promise<CompareAndSetResult>

  /** Takes the lock of `key` if it is free or its lease ran out. */
  acquireLock(key: string, options: LockOptions): Promise<boolean>
  /** Extends the lease if `owner` still holds the lock. */
  extendLock(key: string, options: LockOptions): Promise<boolean>
  /** Releases the lock if `owner` holds it (compare-and-delete) and wakes the waiters. */
  releaseLock(key: string, options: { owner: string }): Promise<boolean>
  /**
   * Resolves when the lock of `key` is released, when its lease runs out, or after `timeoutMs`, whichever
   * comes first — and may resolve early (a spurious wake-up): callers re-read and wait again. Optional:
   * without it the driver polls.
   */
  waitForUnlock?(key: string, options: { timeoutMs: number }): Promise<void>
  /**
   * Tells of changes, for the near cache of grants: calls `listener(key)` after a successful
   * `compareAndSet` or `delete` of `key` — by this process or, through the store's own channel, by any
   * other — and `listener(null)` when changes may have been missed: once the channel is first confirmed
   * (changes made before went unheard), when it drops, and once it is back. Best effort and asynchronous;
   * returns the function that stops listening. Optional: without it, near caches in other processes notice
   * a change after their maximum age.
   */
  watchChanges?(listener: (key: string | null) => void): () => void
}

/**
 * Where the library reports what is worth a human's attention: a deprecated API version (`warn`), stored
 * records no configured key decrypts (`warn`), the app's own credentials refused by Workfront (`error`).
 * Details are identifiers, statuses and counts; never a secret, token or code.
 */
export interface Logger {
  /**
   * What went wrong and was handled (a retry, a refused write, a held token). `details` never holds a
   * secret.
   */
  warn(message: string, details?: Record<string, unknown>): void
  /** What only an operator can fix, now. Optional: without it, `warn` is told. */
  error?(message: string, details?: Record<string, unknown>): void
}
