/**
 * The near cache: recently used grants kept in the process, so that an authenticated request costs no
 * storage round trip. Bounded in size (oldest read goes first) and in age (`maxAgeMs`: the bound on
 * staleness when nothing tells this process of a change). Changes are told by the store's optional
 * `watchChanges` (Redis pub/sub, …) and by this process's own writes.
 *
 * Correctness does not rest on it: only the hot path reads it (`AccessTokens.get` without a rejected token).
 * Every decision to refresh re-reads the store under the lock, and a 401 re-reads the store, so a stale
 * entry costs at most one extra API round trip, never a second refresh.
 */

import { createBoundedMap } from '../bounded-map.ts'
import type { StoredGrant } from '../machine.ts'
import type { Clock } from '../ports.ts'

/** Bounds of the near cache of grants (`createWorkfrontOAuth`'s `nearCache` option). */
export interface NearCacheOptions {
  /** Grants kept at most. Default 10 000. */
  maxEntries?: number
  /** How long a cached grant is used without reading the store again. Default 5 000 ms. */
  maxAgeMs?: number
}

export interface NearCache {
  get(grantId: string): StoredGrant | undefined
  /** Marks the start of a store read: what it returns is kept only if nothing was invalidated meanwhile. */
  begin(): number
  /** Keeps what a read begun at `since` returned (ignored if older than what is kept). */
  put(grantId: string, stored: StoredGrant, since: number): void
  drop(grantId: string): void
  clear(): void
  readonly size: number
}

export function createNearCache(options: NearCacheOptions & { clock: Clock }): NearCache {
  const entries = createBoundedMap<StoredGrant>({
    maxEntries: options.maxEntries ?? 10_000,
    maxAgeMs: options.maxAgeMs ?? 5_000,
    clock: options.clock,
    name: 'nearCache',
  })
  // Counts invalidations: a read that began before one may have returned what it invalidated.
  let epoch = 0

  return {
    get: (grantId) => entries.get(grantId),
    begin: () => epoch,
    put(grantId, stored, since) {
      if (since !== epoch) return
      const kept = entries.get(grantId)
      if (kept === undefined || kept.version <= stored.version) entries.set(grantId, stored)
    },
    drop(grantId) {
      epoch++
      entries.delete(grantId)
    },
    clear() {
      epoch++
      entries.clear()
    },
    get size() {
      return entries.size
    },
  }
}
