/**
 * The ports' default implementations — the console, the real clock, Web Crypto randomness — apart from the
 * interfaces in `ports.ts`, so that the interfaces import nothing.
 */
import type { Clock, Logger, RandomSource } from './ports.ts'
import { realTimer } from './timers.ts'

/** The default {@link Logger}: the runtime's console. */
export const consoleLogger: Logger = {
  warn(message, details) {
    console.warn(`[workfront-oauth] ${message}`, details ?? {})
  },
  error(message, details) {
    console.error(`[workfront-oauth] ${message}`, details ?? {})
  },
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = { now: () => Date.now(), setTimer: realTimer }

/** Randomness from `crypto.getRandomValues()`. */
export const cryptoRandom: RandomSource = {
  bytes(length) {
    return crypto.getRandomValues(new Uint8Array(length))
  },
}
