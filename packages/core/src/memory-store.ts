import type { Clock, CompareAndSetResult, LockOptions, SetOptions, StoragePort, Versioned } from './ports.ts'
import { systemClock } from './ports.ts'
import { setTimer } from './timers.ts'

export interface MemoryStoreOptions {
  /** Clock used for TTLs and leases (a fake clock in tests). */
  clock?: Clock
  /** Upper bound on stored entries; the oldest-expiring ones are dropped past it. Default 100 000. */
  maxEntries?: number
}

interface Entry {
  value: string
  version: number
  expiresAt: number | null
  versioned: boolean
}

interface Lock {
  owner: string
  expiresAt: number
}

/**
 * The storage port in memory: for one process, development and tests. Complete (TTLs, atomic take,
 * compare-and-set, leased locks with waiters), so the same contract suite runs against it and Redis.
 */
export function memoryStore(options: MemoryStoreOptions = {}): StoragePort {
  const clock = options.clock ?? systemClock
  const maxEntries = options.maxEntries ?? 100_000
  const entries = new Map<string, Entry>()
  const locks = new Map<string, Lock>()
  const waiters = new Map<string, Set<() => void>>()

  function fresh(key: string): Entry | undefined {
    const entry = entries.get(key)
    if (entry && entry.expiresAt !== null && entry.expiresAt <= clock.now()) {
      entries.delete(key)
      return undefined
    }
    return entry
  }

  function write(
    key: string,
    value: string,
    version: number,
    ttlMs: number | undefined,
    versioned: boolean,
  ): void {
    entries.delete(key)
    if (entries.size >= maxEntries) evict()
    entries.set(key, {
      value,
      version,
      expiresAt: ttlMs === undefined ? null : clock.now() + ttlMs,
      versioned,
    })
  }

  /** A key is plain or versioned, never both (Redis stores them as different types): refuse the mix. */
  function live(key: string, versioned: boolean): Entry | undefined {
    const entry = fresh(key)
    if (entry && entry.versioned !== versioned) {
      throw new TypeError(`memoryStore: key ${key} holds a ${entry.versioned ? 'versioned' : 'plain'} value`)
    }
    return entry
  }

  function evict(): void {
    const now = clock.now()
    for (const [key, entry] of entries)
      if (entry.expiresAt !== null && entry.expiresAt <= now) entries.delete(key)
    // Still full: drop in insertion order (Map keeps it), oldest first.
    for (const key of entries.keys()) {
      if (entries.size < maxEntries) break
      entries.delete(key)
    }
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
      write(key, value, 1, opts.ttlMs, false)
    },
    async take(key) {
      const entry = live(key, false)
      entries.delete(key)
      return entry?.value ?? null
    },
    async delete(key) {
      entries.delete(key)
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
      write(key, value, version, opts.ttlMs, true)
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
  } satisfies StoragePort
}
