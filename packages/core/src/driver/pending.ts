/**
 * Rotated tokens are never dropped. Once Workfront has answered a refresh, the old refresh token is dead
 * (rotation) and the answer is the only copy of the new one: if the compare-and-set write of it then fails
 * (a store hiccup), losing it would sign the user out. So the write is retried at once, a few times; if the
 * store still fails, the grant is kept in this process (bounded), served from here, and written in the
 * background until it lands, another writer's version wins, or the grant is deleted.
 *
 * A decorator of `Records`: the driver and the access-token cache see a store that has the grant.
 */
import { isWorkfrontOAuthError } from '../errors.ts'
import type { Instrumentation } from '../instrumentation.ts'
import type { Grant, StoredGrant } from '../machine.ts'
import type { Clock, Logger } from '../ports.ts'
import { setTimer, sleep } from '../timers.ts'
import type { Records, SaveResult } from './records.ts'

export interface PendingWritesOptions {
  clock: Clock
  logger: Logger
  /** Delays between the write attempts made while the request waits. Default 25, 75, 200 ms. */
  retryDelaysMs?: readonly number[]
  /** First delay of the background attempts, doubled up to `maxBackgroundDelayMs`. Default 100 ms. */
  backgroundDelayMs?: number
  maxBackgroundDelayMs?: number
  /** Grants kept at most; past it the oldest is given up (and logged). Default 1 000. */
  maxPending?: number
  /** Told when rotated tokens are given up (a grant lost). */
  instrumentation?: Instrumentation
}

export interface DurableRecords extends Records {
  /**
   * Resolves when the grant's pending write has settled (written, superseded or given up); at once when
   * nothing is pending. The refresh lock is held until then.
   */
  settled(grantId: string): Promise<void>
}

interface Pending {
  grant: Grant
  expectedVersion: number
  cancel: () => void
  done: () => void
  settled: Promise<void>
}

export function durableRecords(records: Records, options: PendingWritesOptions): DurableRecords {
  const { clock, logger } = options
  const retryDelays = options.retryDelaysMs ?? [25, 75, 200]
  const firstBackground = options.backgroundDelayMs ?? 100
  const maxBackground = options.maxBackgroundDelayMs ?? 5_000
  const maxPending = options.maxPending ?? 1_000
  const pending = new Map<string, Pending>()

  function settle(grantId: string, entry: Pending): void {
    if (pending.get(grantId) !== entry) return
    pending.delete(grantId)
    entry.cancel()
    entry.done()
  }

  /** One write of a pending grant: its result once the store answered (it is then settled), else null. */
  async function attempt(entry: Pending): Promise<SaveResult | null> {
    try {
      const result = await records.saveGrant(entry.grant, entry.expectedVersion)
      settle(entry.grant.id, entry)
      return result
    } catch (error) {
      if (!isWorkfrontOAuthError(error, 'store_unavailable')) {
        settle(entry.grant.id, entry)
        throw error
      }
      return null
    }
  }

  function hold(grant: Grant, expectedVersion: number): void {
    if (pending.size >= maxPending) {
      const [oldestId, oldest] = pending.entries().next().value as [string, Pending]
      settle(oldestId, oldest)
      options.instrumentation?.grantLost?.('pending_given_up')
      logger.error?.('gave up keeping rotated tokens the store would not take: too many grants waiting', {
        maxPending,
      })
    }
    let done = (): void => {}
    const settled = new Promise<void>((resolve) => {
      done = resolve
    })
    const entry: Pending = { grant, expectedVersion, cancel: () => {}, done, settled }
    pending.set(grant.id, entry)
    logger.warn(
      'the store refused the rotated tokens of a refresh; keeping them in this process and retrying',
      {
        pending: pending.size,
      },
    )
    let delay = firstBackground
    const schedule = (): void => {
      entry.cancel = setTimer(clock, delay, () => {
        void attempt(entry)
          .catch(() => undefined)
          .then((result) => {
            if (result !== null || pending.get(grant.id) !== entry) return
            delay = Math.min(delay * 2, maxBackground)
            schedule()
          })
      })
    }
    schedule()
  }

  async function loadGrant(grantId: string): Promise<StoredGrant | null> {
    const entry = pending.get(grantId)
    if (entry === undefined) return records.loadGrant(grantId)
    // Try to land it first: then the store is the truth again.
    const result = await attempt(entry)
    if (result === null) return { grant: entry.grant, version: entry.expectedVersion + 1 }
    if (result.ok) return { grant: entry.grant, version: result.version }
    return result.current
  }

  return {
    ...records,

    async saveGrant(grant, expectedVersion) {
      // A new grant (the code exchange) has a user waiting who can sign in again: no holding.
      if (expectedVersion === null) return records.saveGrant(grant, expectedVersion)
      for (let i = 0; ; i++) {
        try {
          return await records.saveGrant(grant, expectedVersion)
        } catch (error) {
          if (!isWorkfrontOAuthError(error, 'store_unavailable')) throw error
          const delay = retryDelays[i]
          if (delay === undefined) break
          await sleep(clock, delay)
        }
      }
      hold(grant, expectedVersion)
      // The version the write will have once it lands; the run that refreshed ends on it.
      return { ok: true, version: expectedVersion + 1, pending: true }
    },

    loadGrant,

    // A grant held for writing is newer than anything the near cache can have.
    cachedGrant: (grantId) => (pending.has(grantId) ? loadGrant(grantId) : records.cachedGrant(grantId)),
    peekGrant: (grantId) => (pending.has(grantId) ? undefined : records.peekGrant(grantId)),

    async deleteGrant(grantId) {
      const entry = pending.get(grantId)
      if (entry) settle(grantId, entry)
      await records.deleteGrant(grantId)
    },

    settled(grantId) {
      return pending.get(grantId)?.settled ?? Promise.resolve()
    },
  }
}

/**
 * Work a run leaves going after it returns: a held write and the release of the refresh lock kept for it.
 * A Worker's isolate may be stopped once the response is sent, so the app hands this to the platform
 * (`ctx.waitUntil`) through `WorkfrontOAuth.pendingWrites()`.
 */
export interface BackgroundWork {
  add(work: Promise<unknown>): void
  /** Settles (never rejects) once all the work added so far has settled; null when none is under way. */
  settled(): Promise<void> | null
}

export function backgroundWork(): BackgroundWork {
  const underWay = new Set<Promise<void>>()
  return {
    add(work) {
      const tracked: Promise<void> = work.then(
        () => {
          underWay.delete(tracked)
        },
        () => {
          underWay.delete(tracked)
        },
      )
      underWay.add(tracked)
    },
    settled() {
      return underWay.size === 0 ? null : Promise.all(underWay).then(() => undefined)
    },
  }
}
