/**
 * The refresh lock across processes: one refresh per grant at a time, through the store's leased lock, kept
 * alive while the token request runs and waited for (bounded) by the others.
 */
import { randomToken } from '../pkce.ts'
import type { Clock, RandomSource, StoragePort } from '../ports.ts'
import { setRepeatingTimer, sleep } from '../timers.ts'
import { grantKey, stored } from './records.ts'

export interface RefreshLocksOptions {
  store: StoragePort
  clock: Clock
  random: RandomSource
  /** Lease of the lock; extended every third of it while a token request runs. */
  leaseMs: number
  /** How long one run waits for another holder before `lock.timeout`. */
  lockWaitMs: number
}

/** How an attempt to take a grant's lock ended. */
export type LockOutcome = 'acquired' | 'waited' | 'timeout'

/** The locks one run of the machine takes, under one owner token. */
export interface LockSession {
  /** Takes the lock, or waits (bounded) until its holder lets go: then the caller re-reads the grant. */
  acquire(grantId: string): Promise<LockOutcome>
  /**
   * While holding the lock: extends its lease and waits a moment (jittered) for another holder's write.
   * False once the session's wait deadline (or round bound) has passed: the caller gives up.
   */
  pause(grantId: string): Promise<boolean>
  /** Keeps the lease alive until the returned function is called. */
  keepAlive(grantId: string): () => void
  release(grantId: string): Promise<void>
  /** Releases whatever this session still holds (after a failure). */
  releaseHeld(): Promise<void>
}

export interface RefreshLocks {
  session(): LockSession
}

const MAX_LOCK_ROUNDS = 1_000

export function createRefreshLocks(options: RefreshLocksOptions): RefreshLocks {
  const { store, clock, random, leaseMs, lockWaitMs } = options
  let pollRound = 0

  async function waitForUnlock(key: string, timeoutMs: number): Promise<void> {
    const wait = store.waitForUnlock?.bind(store)
    if (wait) return stored(() => wait(key, { timeoutMs }))
    // No wake-up channel: poll with a small jittered delay.
    return sleep(clock, Math.min(timeoutMs, pollDelay()))
  }

  /** 25 to 355 ms, jittered, so that pollers of one grant spread out. */
  function pollDelay(): number {
    pollRound = (pollRound + 1) % 1_000
    return 25 + (random.bytes(1)[0] as number) + (pollRound % 4) * 25
  }

  return {
    session() {
      const owner = randomToken(random, 16)
      const deadline = clock.now() + lockWaitMs
      // Also a bound on rounds, for clocks that do not move (tests) and stores that wake waiters early.
      let rounds = 0
      const held = new Set<string>()
      const release = async (grantId: string): Promise<void> => {
        held.delete(grantId)
        await store.releaseLock(grantKey(grantId), { owner }).catch(() => undefined)
      }
      return {
        async acquire(grantId) {
          const key = grantKey(grantId)
          if (await stored(() => store.acquireLock(key, { owner, leaseMs }))) {
            held.add(grantId)
            return 'acquired'
          }
          const remaining = deadline - clock.now()
          if (remaining <= 0 || ++rounds > MAX_LOCK_ROUNDS) return 'timeout'
          await waitForUnlock(key, Math.min(remaining, leaseMs))
          return 'waited'
        },
        async pause(grantId) {
          const remaining = deadline - clock.now()
          if (remaining <= 0 || ++rounds > MAX_LOCK_ROUNDS) return false
          await store.extendLock(grantKey(grantId), { owner, leaseMs }).catch(() => false)
          await sleep(clock, Math.min(remaining, leaseMs / 3, pollDelay()))
          return true
        },
        keepAlive(grantId) {
          const key = grantKey(grantId)
          // Keep the lease while the token request runs, so that no other instance starts a second refresh.
          return setRepeatingTimer(clock, leaseMs / 3, () => {
            store.extendLock(key, { owner, leaseMs }).catch(() => undefined)
          })
        },
        release,
        async releaseHeld() {
          await Promise.all([...held].map(release))
        },
      }
    },
  }
}
