/**
 * A map bounded in size and in age, for the per-process caches of the hot path (verified cookies, the near
 * cache of grants). Past `maxEntries` the entry set longest ago goes first (a Map keeps insertion order, so
 * this costs nothing per read); an entry older than `maxAgeMs` is never returned.
 */
import { WorkfrontOAuthError } from './errors.ts'
import type { Clock } from './ports.ts'

export interface BoundedMap<V> {
  get(key: string): V | undefined
  set(key: string, value: V): void
  delete(key: string): void
  clear(): void
  readonly size: number
}

export function createBoundedMap<V>(options: {
  maxEntries: number
  maxAgeMs: number
  clock: Clock
  /** Names the options in the error for bad bounds, e.g. `nearCache`. */
  name: string
}): BoundedMap<V> {
  const { maxEntries, maxAgeMs, clock } = options
  if (!Number.isSafeInteger(maxEntries) || maxEntries <= 0 || !(maxAgeMs >= 0)) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      `${options.name}.maxEntries is a whole number above 0 and ${options.name}.maxAgeMs a number of milliseconds ≥ 0`,
    )
  }
  const entries = new Map<string, { value: V; at: number }>()
  return {
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (clock.now() - entry.at < maxAgeMs) return entry.value
      entries.delete(key)
      return undefined
    },
    set(key, value) {
      entries.delete(key)
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
      entries.set(key, { value, at: clock.now() })
    },
    delete(key) {
      entries.delete(key)
    },
    clear() {
      entries.clear()
    },
    get size() {
      return entries.size
    },
  }
}
