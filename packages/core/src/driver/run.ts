/**
 * Runs the machine: dispatches an event, executes the effects it returns through the ports, and feeds
 * their results back as events until the machine settles. The machine (`machine.ts`) decides; this only
 * does what it is told, reading the clock and random values into the events it produces.
 */
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import type { GrantLossReason, OperationObserver } from '../instrumentation.ts'
import { errorCodeOf, observeRun } from '../instrumentation.ts'
import type { Effect, Event, Machine, State, StoredGrant, TokenSet, WorkfrontUser } from '../machine.ts'
import { initialState } from '../machine.ts'
import { randomToken } from '../pkce.ts'
import type { Clock, Logger, RandomSource } from '../ports.ts'
import type { TokenClient } from '../protocol.ts'
import type { RefreshLocks } from './lock.ts'
import type { BackgroundWork } from './pending.ts'
import type { Records } from './records.ts'

export interface RunResult {
  state: State
  /** Where the `redirect` effect sends the browser. */
  redirect?: string
  /** The error of a failed token request, with its cause (the machine keeps only its JSON). */
  error?: WorkfrontOAuthError
  /** Whether the `session.end` effect ended the Workfront session. */
  sessionEnded?: boolean
}

/**
 * One run of the machine from `start`; `context.observer` is the instrumentation's observer of the
 * operation the run is part of.
 */
export type Drive = (
  start: State,
  event: Event,
  context?: { observer?: OperationObserver },
) => Promise<RunResult>

export interface DriverOptions {
  machine: Machine
  records: Records
  /** The code flow's token endpoint (absent for server sessions). */
  tokens?: TokenClient
  /** The Machine to Machine flow's exchange (server sessions only). */
  jwt?: { exchange(origin: string): Promise<TokenSet> }
  locks: RefreshLocks
  clock: Clock
  random: RandomSource
  /** Ends a Workfront session (best effort): true when Workfront confirmed it. */
  endSession(origin: string, accessToken: string): Promise<boolean>
  /** Who signed in (the `user.read` effect of a sign-in); absent for server sessions. */
  readUser?(origin: string, accessToken: string, profile: boolean): Promise<WorkfrontUser>
  /**
   * Told of what a run leaves going after it returns: a held write and its lock's release, and the runs the
   * machine detaches (the user read again after a refresh).
   */
  background?: BackgroundWork
  /** Where the machine's `log` effects and the failures of detached runs go. */
  logger?: Logger
  /** Told when a detached run ends a grant (`Instrumentation.grantLost`). */
  grantLost?(reason: GrantLossReason): void
}

/** A login transaction is kept this long past its lifetime, so that a late callback is told "expired". */
const TX_GRACE_MS = 5 * 60_000

export function createDriver(options: DriverOptions): Drive {
  const { machine, records, locks, clock, random } = options

  return (start, event, context = {}) => run(start, [event], [], context)

  /**
   * One run: `effects` are executed first (a detached run begins with them), then each event is dispatched
   * and its effects executed, until no event is left.
   */
  async function run(
    start: State,
    queue: Event[],
    effects: Effect[],
    context: { state?: string; observer?: OperationObserver },
  ): Promise<RunResult> {
    let state = start
    const result: Omit<RunResult, 'state'> = {}
    const lock = locks.session()
    /** Locks kept past the run: their grant's rotated tokens are not in the store yet. */
    const retained = new Set<string>()
    const observer = context.observer ? observeRun(context.observer) : null
    const perform = async (todo: Effect[]): Promise<void> => {
      for (const effect of todo) {
        const produced = await (observer ? observer.run(effect, execute) : execute(effect))
        if (produced) queue.push(produced)
      }
    }
    try {
      await perform(effects)
      while (queue.length > 0) {
        const next = queue.shift() as Event
        const [after, todo] = machine.transition(state, next)
        if (after === state && todo.length === 0) {
          throw new WorkfrontOAuthError(
            'invalid_transition',
            `Event ${next.type} does not apply in state ${state.status}`,
          )
        }
        state = after
        await perform(todo)
      }
    } catch (error) {
      observer?.end(null, error)
      await lock.releaseHeld()
      throw error
    }
    observer?.end(state)
    return { state, ...result }

    /**
     * Holds the grant's lock (lease kept alive) until its pending write settles: until then the store has
     * the old refresh token, which Workfront no longer takes, and no other instance may refresh from it.
     */
    function retain(grantId: string, until: Promise<void>): void {
      retained.add(grantId)
      const stop = lock.keepAlive(grantId)
      const released = until.then(() => {
        stop()
        return lock.release(grantId)
      })
      options.background?.add(released)
    }

    async function execute(effect: Effect): Promise<Event | undefined> {
      switch (effect.type) {
        case 'transaction.save':
          await records.saveTransaction(effect.transaction, effect.ttlMs + TX_GRACE_MS)
          return undefined
        case 'redirect':
          result.redirect = effect.url
          return undefined
        case 'token.exchange':
          try {
            const set = await required(options.tokens, 'a code exchange').exchange(
              effect.origin,
              effect.code,
              effect.codeVerifier,
            )
            return { type: 'token.succeeded', now: clock.now(), tokens: set, grantId: randomToken(random) }
          } catch (error) {
            result.error = error as WorkfrontOAuthError
            return { type: 'token.failed', error: result.error.toJSON() }
          }
        case 'token.refresh':
        case 'token.jwtExchange': {
          const stop = lock.keepAlive((state as Extract<State, { status: 'refreshing' }>).grant.id)
          try {
            const set =
              effect.type === 'token.refresh'
                ? await required(options.tokens, 'a refresh').refresh(effect.origin, effect.refreshToken)
                : await required(options.jwt, 'a JWT exchange').exchange(effect.origin)
            return { type: 'token.succeeded', now: clock.now(), tokens: set, grantId: '' }
          } catch (error) {
            result.error = error as WorkfrontOAuthError
            return { type: 'token.failed', error: result.error.toJSON() }
          } finally {
            stop()
          }
        }
        case 'user.read':
          try {
            const read = required(options.readUser, 'a user read')
            return { type: 'user.read', user: await read(effect.origin, effect.accessToken, effect.profile) }
          } catch (error) {
            if (!isWorkfrontOAuthError(error)) throw error
            result.error = error
            return { type: 'user.failed', error: error.toJSON() }
          }
        case 'grant.save': {
          const saved = await records.saveGrant(effect.grant, effect.expectedVersion)
          if (saved.ok) {
            if (saved.pending && records.settled) retain(effect.grant.id, records.settled(effect.grant.id))
            return { type: 'grant.saved', version: saved.version }
          }
          return { type: 'grant.conflict', now: clock.now(), current: saved.current }
        }
        case 'grant.claim':
        case 'grant.update': {
          const saved = await records.claimGrant(effect.grant, effect.expectedVersion)
          return saved.ok
            ? { type: 'grant.saved', version: saved.version }
            : { type: 'grant.conflict', now: clock.now(), current: saved.current }
        }
        case 'grant.await':
          // Another holder's refresh is in flight: keep the lock (so no one else refreshes either) and look
          // again in a moment, until the run's wait for the lock is up.
          if (!(await lock.pause(effect.grantId))) return { type: 'lock.timeout' }
          return reread(effect.grantId)
        case 'grant.reread':
          return reread(effect.grantId)
        case 'lock.acquire': {
          const outcome = await lock.acquire(effect.grantId)
          if (outcome === 'timeout') return { type: 'lock.timeout' }
          if (outcome === 'waited') return reread(effect.grantId)
          // Re-read under the lock: another instance may have refreshed while we were deciding to.
          const current = await records.loadGrant(effect.grantId)
          // The refresh claim carries the run's trace context, when it is instrumented.
          const trace = context.observer?.traceContext?.()
          return trace === undefined
            ? { type: 'lock.acquired', now: clock.now(), current }
            : { type: 'lock.acquired', now: clock.now(), current, trace }
        }
        case 'lock.release':
          if (!retained.has(effect.grantId)) await lock.release(effect.grantId)
          return undefined
        case 'session.end':
          result.sessionEnded = await options.endSession(effect.origin, effect.accessToken)
          return undefined
        case 'grant.delete':
          await records.deleteGrant(effect.grantId)
          return undefined
        case 'detach':
          detach(effect, context)
          return undefined
        case 'log': {
          const { logger } = options
          const { error } = effect
          const details =
            error && (error.status ? { code: error.code, status: error.status } : { code: error.code })
          if (effect.level === 'error' && logger?.error) logger.error(effect.message, details)
          else logger?.warn(effect.message, details)
          return undefined
        }
        default:
          return assertNeverEffect(effect)
      }
    }
  }

  /**
   * Starts a detached run once the grant's last write has landed (`Records.settled`), handed to the
   * background work: the caller's run does not wait for it, and its failure is logged, never thrown.
   */
  function detach(
    effect: Extract<Effect, { type: 'detach' }>,
    context: { observer?: OperationObserver },
  ): void {
    const landed = records.settled?.(effect.grantId) ?? Promise.resolve()
    const work = landed
      .then(() => run(effect.state, [], effect.effects, context))
      .then(
        (result) => {
          if (result.state.status === 'reauthorizationRequired') options.grantLost?.('user_changed')
        },
        (error: unknown) => {
          options.logger?.warn('a step after a refresh failed', { code: errorCodeOf(error) })
        },
      )
    options.background?.add(work)
  }

  async function reread(grantId: string): Promise<Event> {
    return { type: 'grant.loaded', now: clock.now(), grantId, current: await records.loadGrant(grantId) }
  }
}

/**
 * `value`, a part this driver needs for an effect; without it (the machine asked for an effect of the other
 * flow: a bug) the run stops with a typed error.
 */
function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) {
    throw new WorkfrontOAuthError('invalid_transition', `This client cannot run ${what}`)
  }
  return value
}

/** Throws the typed error of a run that stopped before the state its caller wanted (it never returns). */
export function throwStopped(result: { state: State; error?: WorkfrontOAuthError }): never {
  const { state } = result
  if (state.status === 'failed' || state.status === 'reauthorizationRequired') {
    const { error } = state
    if (result.error && result.error.code === error.code) throw result.error
    throw new WorkfrontOAuthError(error.code, error.message, {
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.upstreamCode === undefined ? {} : { upstreamCode: error.upstreamCode }),
      ...(result.error ? { cause: result.error } : {}),
    })
  }
  throw new WorkfrontOAuthError('invalid_transition', `The flow stopped in state ${state.status}`)
}

/** The machine's view of a stored grant: `authorized`, or `reauthorizationRequired` when it is gone. */
export function loadedState(
  machine: Machine,
  clock: Clock,
  grantId: string,
  current: StoredGrant | null,
): State {
  return machine.transition(initialState(), { type: 'grant.loaded', now: clock.now(), grantId, current })[0]
}

function assertNeverEffect(effect: never): never {
  throw new WorkfrontOAuthError('invalid_transition', `Unknown effect ${(effect as { type: string }).type}`)
}
