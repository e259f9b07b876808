import type { ControllableClock, MockClock } from './types'

const realTime: MockClock = { now: () => Date.now() }

/** Wraps `base` with an offset, so tests move time without touching the real clock. */
export function createControllableClock(base: MockClock = realTime): ControllableClock {
  let offset = 0
  return {
    now: () => base.now() + offset,
    advance(ms) {
      if (!Number.isFinite(ms) || ms < 0) throw new RangeError('clock.advance(ms) needs a finite ms >= 0')
      offset += ms
    },
    set(ms) {
      if (!Number.isFinite(ms)) throw new RangeError('clock.set(ms) needs a finite ms')
      offset = ms - base.now()
    },
  }
}
