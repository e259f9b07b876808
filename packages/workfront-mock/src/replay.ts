/**
 * The JWTs the exchange has accepted, kept until they expire, so that the same JWT cannot buy a second
 * session. RFC 7523 §3 lets the server keep the `jti` values it has seen for as long as their JWTs are
 * valid; a JWT without `jti` is recognised by its exact text. Workfront documents no such check: the mock
 * makes it when asked (`jwtReplay: 'refuse'`), so that a client can show it never sends a JWT twice, as a
 * server that does check would require.
 */

const PRUNE_INTERVAL_MS = 1000

export interface ReplayGuard {
  /**
   * Records `id` as used until `expiresAt`; false when it was already used and has not expired. Synchronous,
   * so two concurrent exchanges of one JWT cannot both pass.
   */
  admit(id: string, expiresAt: number, now: number): boolean
  /** Forgets every JWT (the mock's `reset()`). */
  reset(): void
}

export function createReplayGuard(): ReplayGuard {
  let used = new Map<string, number>()
  let lastPrune = Number.NEGATIVE_INFINITY
  return {
    admit(id, expiresAt, now) {
      // Housekeeping at most once a second of mock time: an expired JWT is refused by its `exp` anyway.
      if (now < lastPrune || now - lastPrune >= PRUNE_INTERVAL_MS) {
        lastPrune = now
        for (const [key, until] of used) if (until <= now) used.delete(key)
      }
      const until = used.get(id)
      if (until !== undefined && until > now) return false
      used.set(id, expiresAt)
      return true
    },
    reset() {
      used = new Map()
    },
  }
}
