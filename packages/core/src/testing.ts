/**
 * @module Test helpers for users of `@workfront-oauth/core` and for storage adapters: a controllable clock,
 * a store that fails when told to, and the storage-port contract suite that every implementation (memory,
 * Redis, Redis Cluster…) must pass.
 *
 * The suite takes the test framework's functions as arguments, so this module imports no test runner.
 */
import { type MemoryStore, memoryStore } from './memory-store.ts'
import type { Clock, StoragePort } from './ports.ts'
import { refreshContract } from './refresh-contract.ts'

/** A clock for tests that moves only when told (`advance`, `set`), firing due timers. */
export interface FakeClock extends Clock {
  /** Runs `callback` once the clock has been advanced by `ms`; returns a function that cancels it. */
  setTimer(ms: number, callback: () => void): () => void
  /** Moves time forward by `ms`, firing the timers that fall due on the way, in order. */
  advance(ms: number): void
  /**
   * Moves time forward by `ms` as real time would: after each timer that fires (and at the end), the work it
   * started runs (promise callbacks, and timers of 0 ms) before time moves on, so a timer set by that work
   * fires too when it falls due within `ms`. What a test uses instead of sleeping on real time.
   */
  advanceAsync(ms: number): Promise<void>
  /** Jumps to `ms`; moving forward fires the timers that fall due on the way. */
  set(ms: number): void
  /** How many timers are waiting to fire. */
  pendingTimers(): number
}

/** Lets the work already started run: promise callbacks, and what a real 0 ms timer waits for. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0))

/** A clock that moves only when told to, with timers that run on its time (nothing real is waited for). */
export function createFakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let now = start
  let serial = 0
  // Due time, then creation order: timers due at the same moment fire in the order they were set.
  const timers = new Map<number, { due: number; callback: () => void }>()

  function nextDue(target: number): [number, { due: number; callback: () => void }] | undefined {
    let next: [number, { due: number; callback: () => void }] | undefined
    for (const entry of timers) {
      if (entry[1].due <= target && (next === undefined || entry[1].due < next[1].due)) next = entry
    }
    return next
  }

  function moveTo(target: number): void {
    for (;;) {
      const next = nextDue(target)
      if (next === undefined) break
      timers.delete(next[0])
      now = Math.max(now, next[1].due)
      next[1].callback()
    }
    now = target
  }

  return {
    now: () => now,
    setTimer(ms, callback) {
      const id = ++serial
      timers.set(id, { due: now + Math.max(0, ms), callback })
      return () => {
        timers.delete(id)
      }
    },
    advance(ms) {
      moveTo(now + ms)
    },
    async advanceAsync(ms) {
      const target = now + ms
      await settle()
      for (;;) {
        const next = nextDue(target)
        if (next === undefined) break
        timers.delete(next[0])
        now = Math.max(now, next[1].due)
        next[1].callback()
        await settle()
      }
      now = target
      await settle()
    },
    set(ms) {
      moveTo(ms)
    },
    pendingTimers: () => timers.size,
  }
}

/** The knobs of a `hiccupStore()`, set by the test at any time. */
export interface StoreHiccups {
  /**
   * How many of the next compare-and-set writes succeed before `failWrites` applies: 1 lets a refresh's
   * claim (written before the token request) land, so that the write of Workfront's answer is the one
   * that fails. Default 0.
   */
  passWrites: number
  /** How many of the next compare-and-set writes fail (after `passWrites`). */
  failWrites: number
  /** While set, every versioned read fails. */
  failReads: boolean
}

/**
 * A memory store with knobs, for tests of what a store hiccup does: failed calls throw as a dropped
 * connection would (the core reports them as `store_unavailable`). A refresh whose write fails more often
 * than the request's own retries is held by the core and written in the background (`pendingWrites()`).
 * `inner` is the store itself, for reading what was really written.
 */
export function hiccupStore(inner: MemoryStore = memoryStore()): {
  inner: MemoryStore
  store: StoragePort
  knobs: StoreHiccups
} {
  const knobs: StoreHiccups = { passWrites: 0, failWrites: 0, failReads: false }
  const store: StoragePort = {
    ...inner,
    async compareAndSet(key, value, options) {
      if (knobs.passWrites > 0) {
        knobs.passWrites--
        return inner.compareAndSet(key, value, options)
      }
      if (knobs.failWrites > 0) {
        knobs.failWrites--
        throw new Error('connection reset')
      }
      return inner.compareAndSet(key, value, options)
    },
    async getVersioned(key) {
      if (knobs.failReads) throw new Error('connection reset')
      return inner.getVersioned(key)
    },
  }
  return { inner, store, knobs }
}

/** A store under `storageContract()`: the store, how to let its time pass, and how to clean it up. */
export interface StorageContractHarness {
  /** The store under test, empty. */
  store: StoragePort
  /** Lets `ms` of store time pass: advance a fake clock, or sleep for real against a server. */
  advance(ms: number): Promise<void>
  /** Closes what the store holds (connections, files) after the test. */
  cleanup?(): Promise<void>
}

interface TestAPI {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>, timeout?: number): void
  expect: (value: unknown) => {
    toBe(expected: unknown): void
    toEqual(expected: unknown): void
    toBeNull(): void
  }
  beforeEach(fn: () => Promise<void>): void
  afterEach(fn: () => Promise<void>): void
}

/** Registers the storage-port contract tests against the implementation that `create` builds. */
export function storageContract(
  name: string,
  test: TestAPI,
  create: () => Promise<StorageContractHarness>,
): void {
  const { describe, it, expect, beforeEach, afterEach } = test
  describe(`StoragePort contract: ${name}`, () => {
    let h: StorageContractHarness
    let n = 0
    const key = (label: string): string => `contract:${label}:${Date.now()}:${++n}`
    beforeEach(async () => {
      h = await create()
    })
    afterEach(async () => {
      await h.cleanup?.()
    })

    it('returns null for missing keys', async () => {
      expect(await h.store.get(key('missing'))).toBeNull()
      expect(await h.store.take(key('missing'))).toBeNull()
      expect(await h.store.getVersioned(key('missing'))).toBeNull()
    })

    it('sets, overwrites and deletes plain values', async () => {
      const k = key('plain')
      await h.store.set(k, 'one')
      expect(await h.store.get(k)).toBe('one')
      await h.store.set(k, 'two')
      expect(await h.store.get(k)).toBe('two')
      await h.store.delete(k)
      expect(await h.store.get(k)).toBeNull()
    })

    it('keeps unicode, JSON and large values intact, under keys with separators and braces', async () => {
      const k = `${key('odd')}:{tag}:é✓`
      const value = JSON.stringify({ text: 'héllo ✓ \u0000 "quoted"', big: 'x'.repeat(100_000) })
      await h.store.set(k, value)
      expect(await h.store.get(k)).toBe(value)
    })

    it('expires plain values after their TTL', async () => {
      const short = key('ttl-short')
      const long = key('ttl-long')
      await h.store.set(short, 'v', { ttlMs: 200 })
      await h.store.set(long, 'v', { ttlMs: 60_000 })
      await h.advance(500)
      expect(await h.store.get(short)).toBeNull()
      expect(await h.store.take(short)).toBeNull()
      expect(await h.store.get(long)).toBe('v')
    })

    it('takes a value exactly once, even when 20 callers race', async () => {
      const k = key('take')
      await h.store.set(k, 'single-use', { ttlMs: 60_000 })
      const results = await Promise.all(Array.from({ length: 20 }, () => h.store.take(k)))
      expect(results.filter((r) => r === 'single-use').length).toBe(1)
      expect(results.filter((r) => r === null).length).toBe(19)
      expect(await h.store.get(k)).toBeNull()
    })

    it('creates versioned records at version 1 and bumps the version on every write', async () => {
      const k = key('cas')
      expect(await h.store.compareAndSet(k, 'a', { expectedVersion: null })).toEqual({ ok: true, version: 1 })
      expect(await h.store.getVersioned(k)).toEqual({ value: 'a', version: 1 })
      expect(await h.store.compareAndSet(k, 'b', { expectedVersion: 1 })).toEqual({ ok: true, version: 2 })
      expect(await h.store.getVersioned(k)).toEqual({ value: 'b', version: 2 })
    })

    it('refuses stale and conflicting writes and reports the current record', async () => {
      const k = key('cas-stale')
      await h.store.compareAndSet(k, 'a', { expectedVersion: null })
      await h.store.compareAndSet(k, 'b', { expectedVersion: 1 })
      expect(await h.store.compareAndSet(k, 'stale', { expectedVersion: 1 })).toEqual({
        ok: false,
        current: { value: 'b', version: 2 },
      })
      expect(await h.store.compareAndSet(k, 'again', { expectedVersion: null })).toEqual({
        ok: false,
        current: { value: 'b', version: 2 },
      })
      expect(await h.store.compareAndSet(key('absent'), 'x', { expectedVersion: 3 })).toEqual({
        ok: false,
        current: null,
      })
      expect(await h.store.getVersioned(k)).toEqual({ value: 'b', version: 2 })
    })

    it('lets exactly one of 20 racing compare-and-set writers win', async () => {
      const k = key('cas-race')
      await h.store.compareAndSet(k, 'base', { expectedVersion: null })
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => h.store.compareAndSet(k, `w${i}`, { expectedVersion: 1 })),
      )
      const winners = results.flatMap((r, i) => (r.ok ? [i] : []))
      expect(winners.length).toBe(1)
      expect(await h.store.getVersioned(k)).toEqual({ value: `w${winners[0]}`, version: 2 })
    })

    it('expires versioned records after their TTL and deletes them', async () => {
      const k = key('cas-ttl')
      const kept = key('cas-kept')
      await h.store.compareAndSet(k, 'v', { expectedVersion: null, ttlMs: 200 })
      await h.store.compareAndSet(kept, 'v', { expectedVersion: null })
      await h.advance(500)
      expect(await h.store.getVersioned(k)).toBeNull()
      expect(await h.store.getVersioned(kept)).toEqual({ value: 'v', version: 1 })
      await h.store.delete(kept)
      expect(await h.store.getVersioned(kept)).toBeNull()
    })

    it('gives a lock to one owner at a time; only the owner extends or releases it', async () => {
      const k = key('lock')
      const lease = { leaseMs: 30_000 }
      expect(await h.store.acquireLock(k, { owner: 'a', ...lease })).toBe(true)
      expect(await h.store.acquireLock(k, { owner: 'b', ...lease })).toBe(false)
      expect(await h.store.extendLock(k, { owner: 'b', ...lease })).toBe(false)
      expect(await h.store.releaseLock(k, { owner: 'b' })).toBe(false)
      expect(await h.store.extendLock(k, { owner: 'a', ...lease })).toBe(true)
      expect(await h.store.releaseLock(k, { owner: 'a' })).toBe(true)
      expect(await h.store.releaseLock(k, { owner: 'a' })).toBe(false)
      expect(await h.store.acquireLock(k, { owner: 'b', ...lease })).toBe(true)
    })

    it('does not confuse a lock with the value stored under the same key', async () => {
      const k = key('lock-value')
      await h.store.compareAndSet(k, 'grant', { expectedVersion: null })
      expect(await h.store.acquireLock(k, { owner: 'a', leaseMs: 30_000 })).toBe(true)
      expect(await h.store.getVersioned(k)).toEqual({ value: 'grant', version: 1 })
      expect(await h.store.releaseLock(k, { owner: 'a' })).toBe(true)
      expect(await h.store.getVersioned(k)).toEqual({ value: 'grant', version: 1 })
    })

    it('hands an expired lease to the next owner and locks the old owner out', async () => {
      const k = key('lease')
      expect(await h.store.acquireLock(k, { owner: 'a', leaseMs: 200 })).toBe(true)
      await h.advance(500)
      expect(await h.store.acquireLock(k, { owner: 'b', leaseMs: 30_000 })).toBe(true)
      expect(await h.store.extendLock(k, { owner: 'a', leaseMs: 30_000 })).toBe(false)
      expect(await h.store.releaseLock(k, { owner: 'a' })).toBe(false)
      expect(await h.store.releaseLock(k, { owner: 'b' })).toBe(true)
    })

    it('grants a lock to exactly one of 20 racing owners', async () => {
      const k = key('lock-race')
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => h.store.acquireLock(k, { owner: `o${i}`, leaseMs: 30_000 })),
      )
      expect(results.filter(Boolean).length).toBe(1)
    })

    it('tells watchers of versioned writes and deletes, and stops telling when asked', async () => {
      const watchChanges = h.store.watchChanges?.bind(h.store)
      if (!watchChanges) return
      const k = key('watch')
      const seen: (string | null)[] = []
      let notify = (): void => {}
      const stop = watchChanges((changed) => {
        seen.push(changed)
        notify()
      })
      const until = async (found: () => boolean, write?: () => Promise<unknown>): Promise<void> => {
        while (!found()) {
          await write?.()
          await new Promise<void>((resolve) => {
            notify = resolve
            if (write) setTimeout(resolve, 20)
          })
        }
      }
      try {
        // A store with a channel may still be subscribing: write a probe until the channel carries it.
        const probe = key('watch-probe')
        let version: number | null = null
        await until(
          () => seen.includes(probe),
          async () => {
            const result = await h.store.compareAndSet(probe, 'p', { expectedVersion: version })
            if (result.ok) version = result.version
          },
        )
        await h.store.compareAndSet(k, 'a', { expectedVersion: null })
        await h.store.compareAndSet(k, 'b', { expectedVersion: 1 })
        await h.store.compareAndSet(k, 'stale', { expectedVersion: 1 })
        await h.store.delete(k)
        // One server tells changes in order: once the marker is seen, everything before it has been, and a
        // fourth change of `k` (the refused write announced) would already be counted. A cluster tells the
        // changes of each node in order but not across nodes, where the marker may be: wait for both.
        const marker = key('watch-marker')
        const changesOfK = (): number => seen.filter((c) => c === k).length
        await h.store.compareAndSet(marker, 'm', { expectedVersion: null })
        await until(() => seen.includes(marker) && changesOfK() >= 3)
        expect(changesOfK()).toBe(3)
      } finally {
        stop()
      }
      const after = seen.length
      await h.store.compareAndSet(k, 'c', { expectedVersion: null })
      await h.advance(50)
      expect(seen.length).toBe(after)
    }, 10_000)

    it('wakes waiters when the lock is released (before their timeout)', async () => {
      const waitForUnlock = h.store.waitForUnlock?.bind(h.store)
      if (!waitForUnlock) return
      const k = key('wake')
      await h.store.acquireLock(k, { owner: 'a', leaseMs: 30_000 })
      let woken = 0
      // The timeout is far beyond the test's own timeout: only a release can let these resolve in time.
      const waits = Array.from({ length: 5 }, () =>
        waitForUnlock(k, { timeoutMs: 60_000 }).then(() => woken++),
      )
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(woken).toBe(0)
      await h.store.releaseLock(k, { owner: 'a' })
      await Promise.all(waits)
      expect(woken).toBe(5)
      // Not locked: returns at once.
      await waitForUnlock(k, { timeoutMs: 60_000 })
    }, 10_000)

    // The refresh built on this store: a slow lock holder that succeeded never costs the grant.
    refreshContract({ it, expect, harness: () => h })
  })
}
