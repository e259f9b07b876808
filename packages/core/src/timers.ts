/**
 * Timers on a `Clock`: every wait in the core (the refresh lock's keep-alive, the poll delay, request
 * deadlines, the memory store's waiters) goes through here, so one fake clock drives them all in tests.
 */
import type { Clock } from './ports.ts'

/** A real timer: what a clock without `setTimer` (and `systemClock`) uses. */
export function realTimer(ms: number, callback: () => void): () => void {
  const timer = setTimeout(callback, ms)
  return () => clearTimeout(timer)
}

/** Runs `callback` after `ms` of `clock` time; returns the cancel function. */
export function setTimer(clock: Clock, ms: number, callback: () => void): () => void {
  return (clock.setTimer ?? realTimer)(ms, callback)
}

/** Runs `callback` every `ms` of `clock` time until the returned function is called. */
export function setRepeatingTimer(clock: Clock, ms: number, callback: () => void): () => void {
  let cancel = setTimer(clock, ms, function tick() {
    cancel = setTimer(clock, ms, tick)
    callback()
  })
  return () => cancel()
}

/** Resolves after `ms` of `clock` time. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => setTimer(clock, ms, resolve))
}
