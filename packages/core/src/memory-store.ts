import { systemClock } from './defaults.ts'
import { WorkfrontOAuthError } from './errors.ts'
import type { Clock, CompareAndSetResult, LockOptions, SetOptions, StoragePort, Versioned } from './ports.ts'
import { setTimer } from './timers.ts'

/** Options of `memoryStore()`. */
export interface MemoryStoreOptions {
  /** Clock used for TTLs and leases (a fake clock in tests). */
  clock?: Clock
  /**
   * Upper bound on plain values (login transactions). Past it the least recently written one goes.
   * Default 50 000.
   */
  maxValues?: number
  /**
   * Upper bound on versioned records (grants), counted apart from plain values so that no number of
   * sign-ins in progress can push a signed-in user's grant out. Past it the least recently written grant
   * goes (its user signs in again). Default 100 000.
   */
  maxRecords?: number
}

/** The memory store's port, plus what it holds (for health pages and tests). */
export interface MemoryStore extends StoragePort {
  /** Entries held right now (expired ones are counted until the sweep or a read removes them). */
  size(): { values: number; records: number; locks: number }
}

interface Entry {
  value: string
  version: number
  expiresAt: number | null
}

interface Lock {
  owner: string
  expiresAt: number
}

/** Entries the incremental sweep looks at per write: expired entries go without a full scan. */
const SWEEP_STEP = 4

/**
 * One kind of entry (plain values or versioned records) with its own budget. A `Map` keeps insertion
 * order and every write re-inserts its key, so the first key is the least recently written: eviction is
 * O(1). Expired entries are removed when read, and by a sweep that advances a few entries per write (as
 * Redis' active expiry does), so keys nobody reads again do not stay until they are evicted.
 */
interface Bucket {
  readonly entries: Map<string, Entry>
  fresh(key: string): Entry | undefined
  write(key: string, value: string, version: number, ttlMs: number | undefined): void
}

function createBucket(clock: Clock, max: number): Bucket {
  const entries = new Map<string, Entry>()
  let cursor: Iterator<[string, Entry]> | undefined

  /** Looks at the next few entries in order (a live iterator: deletions and additions are seen). */
  function sweep(): void {
    const now = clock.now()
    for (let i = 0; i < SWEEP_STEP; i++) {
      cursor ??= entries.entries()
      const next = cursor.next()
      if (next.done) {
        cursor = undefined
        return
      }
      const [key, entry] = next.value
      if (entry.expiresAt !== null && entry.expiresAt <= now) entries.delete(key)
    }
  }

  return {
    entries,
    fresh(key) {
      const entry = entries.get(key)
      if (entry && entry.expiresAt !== null && entry.expiresAt <= clock.now()) {
        entries.delete(key)
        return undefined
      }
      return entry
    },
    write(key, value, version, ttlMs) {
      sweep()
      entries.delete(key)
      if (entries.size >= max) entries.delete(entries.keys().next().value as string)
      entries.set(key, { value, version, expiresAt: ttlMs === undefined ? null : clock.now() + ttlMs })
    },
  }
}

/**
 * The storage port in memory: for one process, development and tests. Complete (TTLs, atomic take,
 * compare-and-set, leased locks with waiters), so the same contract suite runs against it and Redis.
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = options.clock ?? systemClock
  const values = createBucket(clock, budget('maxValues', options.maxValues ?? 50_000))
  const records = createBucket(clock, budget('maxRecords', options.maxRecords ?? 100_000))
  const locks = new Map<string, Lock>()
  const waiters = new Map<string, Set<() => void>>()
  const watchers = new Set<(key: string | null) => void>()
  const changed = (key: string): void => {
    for (const watcher of [...watchers]) watcher(key)
  }

  /** A key is plain or versioned, never both (Redis stores them as different types): refuse the mix. */
  function live(key: string, versioned: boolean): Entry | undefined {
    const other = (versioned ? values : records).fresh(key)
    if (other) {
      throw new TypeError(`memoryStore: key ${key} holds a ${versioned ? 'plain' : 'versioned'} value`)
    }
    return (versioned ? records : values).fresh(key)
  }

  function heldLock(key: string): Lock | undefined {
    const lock = locks.get(key)
    if (lock && lock.expiresAt <= clock.now()) {
      locks.delete(key)
      return undefined
    }
    return lock
  }

  function wake(key: string): void {
    const set = waiters.get(key)
    if (!set) return
    waiters.delete(key)
    for (const resolve of set) resolve()
  }

  return {
    async get(key) {
      return live(key, false)?.value ?? null
    },
    async set(key: string, value: string, opts: SetOptions = {}) {
      live(key, false)
      values.write(key, value, 1, opts.ttlMs)
    },
    async take(key) {
      const entry = live(key, false)
      values.entries.delete(key)
      return entry?.value ?? null
    },
    async delete(key) {
      values.entries.delete(key)
      records.entries.delete(key)
      changed(key)
    },
    async getVersioned(key): Promise<Versioned | null> {
      const entry = live(key, true)
      return entry ? { value: entry.value, version: entry.version } : null
    },
    async compareAndSet(key, value, opts): Promise<CompareAndSetResult> {
      const entry = live(key, true)
      const current = entry ? entry.version : null
      if (current !== opts.expectedVersion) {
        return { ok: false, current: entry ? { value: entry.value, version: entry.version } : null }
      }
      const version = (current ?? 0) + 1
      records.write(key, value, version, opts.ttlMs)
      changed(key)
      return { ok: true, version }
    },
    async acquireLock(key, opts: LockOptions) {
      if (heldLock(key)) return false
      locks.set(key, { owner: opts.owner, expiresAt: clock.now() + opts.leaseMs })
      return true
    },
    async extendLock(key, opts: LockOptions) {
      const lock = heldLock(key)
      if (!lock || lock.owner !== opts.owner) return false
      lock.expiresAt = clock.now() + opts.leaseMs
      return true
    },
    async releaseLock(key, opts) {
      const lock = heldLock(key)
      if (!lock || lock.owner !== opts.owner) return false
      locks.delete(key)
      wake(key)
      return true
    },
    watchChanges(listener) {
      // A fresh function per call, so that the same listener given twice is two subscriptions.
      const subscription = (key: string | null): void => listener(key)
      watchers.add(subscription)
      return () => {
        watchers.delete(subscription)
      }
    },
    waitForUnlock(key, opts) {
      if (!heldLock(key)) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const set = waiters.get(key) ?? new Set<() => void>()
        waiters.set(key, set)
        const done = (): void => {
          cancel()
          set.delete(done)
          resolve()
        }
        // A waiter must come back even if the lease ends without a release (holder died).
        const cancel = setTimer(clock, opts.timeoutMs, done)
        set.add(done)
      })
    },
    size() {
      return { values: values.entries.size, records: records.entries.size, locks: locks.size }
    },
  } satisfies MemoryStore
}

function budget(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new WorkfrontOAuthError('invalid_options', `memoryStore: ${name} must be a whole number ≥ 1`)
  }
  return value
}
