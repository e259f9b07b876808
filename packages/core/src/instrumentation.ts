/**
 * The instrumentation port: typed hooks through which a client tells an observer (traces, metrics) what it
 * does — each user-visible operation, and inside it the token requests, storage calls, refresh-lock waits,
 * near-cache decisions and refresh outcomes. Framework-free and dependency-free: an OpenTelemetry binding
 * (`@workfront-oauth/opentelemetry`) or any other implements it.
 *
 * The hooks carry facts that are safe to export — operation names, the tenant's host, error codes, HTTP
 * statuses, outcomes, counts, the W3C trace context of a refresh joined — and never a token, code, secret,
 * cookie, JWT, session id or grant id: the functions here build every hook argument from an effect's type
 * and its origin, never from its payload (the one field read from a grant is its `refreshTrace`).
 *
 * Without an instrumentation the cost is one null check per effect and per operation.
 */
import type { ErrorCode } from './errors.ts'
import { isWorkfrontOAuthError } from './errors.ts'
import { JWT_EXCHANGE_PATH } from './jwt.ts'
import type { Effect, Event, State } from './machine.ts'
import { TOKEN_PATH } from './machine.ts'
import type { StoragePort } from './ports.ts'

/**
 * A user-visible operation of a client: each becomes one span. `session` is `getGrant()` — the session
 * lookup of a guard or `getSession` — when it reads the store (a near-cache hit starts none: `nearCacheHit`).
 */
export type OperationName = 'login' | 'callback' | 'access_token' | 'api_call' | 'logout' | 'session'

/** What is known when an operation starts. */
export interface OperationStart {
  /** Which operation. */
  operation: OperationName
  /** `authorization_code` for `createWorkfrontOAuth`, `jwt` for `createWorkfrontServerAuth`. */
  flow: 'authorization_code' | 'jwt'
  /** The tenant's host when it is known up front (one-org apps, server sessions); else null. */
  tenantHost: string | null
  /** `api_call` only: the request's HTTP method. */
  method?: string
}

/** A step of an operation, run by the driver as one of the machine's effects (or a storage read). */
export type Step =
  | {
      kind: 'token'
      /** The grant sent to the token endpoint, or the Machine to Machine JWT exchange. */
      grantType: 'authorization_code' | 'refresh_token' | 'jwt_exchange'
      /** The endpoint's URL: the tenant's origin and a fixed path, no query. */
      url: string
      host: string
    }
  | { kind: 'store'; operation: StoreOperation }
  | { kind: 'lock' }
  | { kind: 'api'; operation: 'user.read' | 'session.end'; host: string }

/** The storage calls a step makes, named by what they do. */
export type StoreOperation =
  | 'grant.read'
  | 'grant.write'
  | 'grant.delete'
  | 'transaction.write'
  | 'lock.release'

/** How a step ended. */
export interface StepEnd {
  /** The error code when the step failed. */
  error?: ErrorCode
  /** The upstream HTTP status, when an HTTP exchange failed with one. */
  status?: number
  /**
   * `lock` steps: `acquired`, `waited` (another holder let go or the wait ran out a round) or `timeout`;
   * `store` grant writes: `written` or `conflict`.
   */
  outcome?: 'acquired' | 'waited' | 'timeout' | 'written' | 'conflict'
}

/** How a caller's need of a fresh session was met. */
export type RefreshOutcome =
  /** This caller's run refreshed (or exchanged a JWT) and stored the result. */
  | 'done'
  /** Another caller in this process, or another process (seen after waiting for its lock), refreshed. */
  | 'joined'
  /** The refresh failed (the code says why). */
  | 'failed'

/** Why a grant could no longer be used although nobody signed out. */
export type GrantLossReason =
  /** Workfront refused the refresh token and no newer one was stored: the user must sign in again. */
  | 'reauthorization_required'
  /** The grant vanished from the store while it was being refreshed. */
  | 'grant_not_found'
  /** Rotated tokens the store would not take were given up (see `pendingWrites`). */
  | 'pending_given_up'
  /**
   * Read again after a refresh, the user was another than the one who signed in: the grant was ended (see
   * `WorkfrontOAuthOptions.user`).
   */
  | 'user_changed'

/** The observer of one operation; every method is called at most as documented, `end` exactly once. */
export interface OperationObserver {
  /**
   * A step begins; the returned function is called once when it ends. The steps an operation leaves to the
   * background (the user read again after a refresh: `api` `user.read`, then a `store` `grant.write` when it
   * changed) are reported here too, and may begin or end after `end`.
   */
  step(step: Step): (end: StepEnd) => void
  /** The fast lane looked in the near cache: `hit` when it served the request without the store. */
  nearCache(hit: boolean): void
  /** The outcome of a refresh this operation needed; `code` when it failed. */
  refresh(outcome: RefreshOutcome, code?: ErrorCode): void
  /**
   * The W3C `traceparent` (`00-<trace id>-<span id>-<flags>`) of this operation, asked for once its run holds
   * the refresh lock: the refresh claim and the answer carry it in the store (`Grant.refreshTrace`), and the
   * callers that join the refresh — in this process or in others — link to it. Optional: without it (or
   * when it returns undefined) nothing is stored.
   */
  traceContext?(): string | undefined
  /**
   * Told after `refresh('joined')` when the refresh joined is known: `traceparent` is the refreshing
   * operation's (see `traceContext`), read from this process's refresh or from the stored grant. It comes
   * from the store: an implementation validates it before use. Optional.
   */
  refreshJoined?(traceparent: string): void
  /** A grant was lost during this operation. */
  grantLost(reason: GrantLossReason): void
  /** The tenant became known (a callback names its org). */
  tenant(host: string): void
  /** `api_call` only: the final response's status and how many times the request was sent again. */
  response(status: number, resendCount: number): void
  /** The operation ended: without an error, or with the code of the one it throws. */
  end(error?: ErrorCode): void
}

/** What a storage call reports (every call of the store port, including those outside an operation). */
export interface StoreCall {
  /** The `StoragePort` method. */
  method: keyof StoragePort
  /** How long the call took. */
  durationMs: number
  /** Whether the store threw. */
  failed: boolean
}

/**
 * The instrumentation port: pass an implementation as the `instrumentation` option of
 * `createWorkfrontOAuth` or `createWorkfrontServerAuth` (`@workfront-oauth/opentelemetry` is one).
 */
export interface Instrumentation {
  /** An operation begins. */
  operation(start: OperationStart): OperationObserver
  /** A call of the store port ended (metrics: latency, errors). Optional. */
  storeCall?(call: StoreCall): void
  /**
   * `getAccessToken`, or `getGrant` with `cached` (a guard's session lookup), was answered from the near
   * cache, at once: the hot path, which starts no operation (one per authenticated request, saying nothing
   * more). Optional.
   */
  nearCacheHit?(): void
  /**
   * A grant was lost outside any operation: a background write given up, or a grant ended in the background
   * because Workfront named another user after a refresh. Optional.
   */
  grantLost?(reason: GrantLossReason): void
  /** The clock durations are measured with. Default `performance.now()` or `Date.now()`. */
  now?(): number
}

const STORE_STEPS: Partial<Record<Effect['type'], StoreOperation>> = {
  'transaction.save': 'transaction.write',
  'grant.save': 'grant.write',
  'grant.update': 'grant.write',
  'grant.reread': 'grant.read',
  'grant.delete': 'grant.delete',
  'lock.release': 'lock.release',
}

/** The step an effect is, built from its type and origin only; null for effects that are not steps. */
export function stepOf(effect: Effect): Step | null {
  switch (effect.type) {
    case 'token.exchange':
    case 'token.refresh':
    case 'token.jwtExchange': {
      const path = effect.type === 'token.jwtExchange' ? JWT_EXCHANGE_PATH : TOKEN_PATH
      const grantType =
        effect.type === 'token.exchange'
          ? 'authorization_code'
          : effect.type === 'token.refresh'
            ? 'refresh_token'
            : 'jwt_exchange'
      return { kind: 'token', grantType, url: `${effect.origin}${path}`, host: hostOf(effect.origin) }
    }
    case 'lock.acquire':
      return { kind: 'lock' }
    case 'user.read':
    case 'session.end':
      return { kind: 'api', operation: effect.type, host: hostOf(effect.origin) }
    default: {
      const operation = STORE_STEPS[effect.type]
      return operation === undefined ? null : { kind: 'store', operation }
    }
  }
}

/** How a step ended, from the event its effect produced. */
export function stepEnd(effect: Effect, event: Event | undefined): StepEnd {
  if (event === undefined) return {}
  switch (event.type) {
    case 'token.failed':
    case 'user.failed':
      return event.error.status === undefined
        ? { error: event.error.code }
        : { error: event.error.code, status: event.error.status }
    case 'lock.acquired':
      return { outcome: 'acquired' }
    case 'lock.timeout':
      return { outcome: 'timeout' }
    case 'grant.loaded':
      return effect.type === 'lock.acquire' ? { outcome: 'waited' } : {}
    case 'grant.saved':
      return { outcome: 'written' }
    case 'grant.conflict':
      return { outcome: 'conflict' }
    default:
      return {}
  }
}

/** The error code of a thrown value (`internal_error` for anything that is not ours). */
export function errorCodeOf(error: unknown): ErrorCode {
  return isWorkfrontOAuthError(error) ? error.code : 'internal_error'
}

/**
 * The host of an origin (`https://acme.my.workfront.com` → `acme.my.workfront.com`). Origins here are
 * normalised (`URL.origin`, by `parseBaseURL` and the tenant rules), so the host is what follows `//`; no
 * URL is parsed on the hot path.
 */
export function hostOf(origin: string): string {
  const start = origin.indexOf('//')
  return start < 0 ? '' : origin.slice(start + 2)
}

/** What one run of the machine reports: its steps, and the refresh it made, joined or failed. */
export interface RunObserver {
  /** Runs one effect through `execute`, reporting it as a step when it is one. */
  run(effect: Effect, execute: (effect: Effect) => Promise<Event | undefined>): Promise<Event | undefined>
  /** The run settled in `state`, or threw `error`. */
  end(state: State | null, error?: unknown): void
}

/**
 * Watches one run of the driver for an operation. A run that takes the refresh lock is a refresh: `done`
 * when it sent a token request and ended authorized, `joined` when it ended authorized without one (another
 * process refreshed while it waited), else `failed`; and a refresh that ends asking for a new sign-in has
 * lost its grant.
 */
export function observeRun(observer: OperationObserver): RunObserver {
  let refreshing = false
  let requested = false
  return {
    async run(effect, execute) {
      const step = stepOf(effect)
      if (effect.type === 'lock.acquire') refreshing = true
      if (effect.type === 'token.refresh' || effect.type === 'token.jwtExchange') requested = true
      if (step === null) return execute(effect)
      const end = observer.step(step)
      try {
        const event = await execute(effect)
        end(stepEnd(effect, event))
        return event
      } catch (error) {
        end({ error: errorCodeOf(error) })
        throw error
      }
    },
    end(state, error) {
      if (!refreshing) return
      if (state?.status === 'authorized') {
        if (requested) observer.refresh('done')
        else joined(observer, state.grant.refreshTrace)
        return
      }
      const code =
        state?.status === 'failed' || state?.status === 'reauthorizationRequired'
          ? state.error.code
          : errorCodeOf(error)
      observer.refresh('failed', code)
      if (code === 'reauthorization_required' || code === 'grant_not_found') observer.grantLost(code)
    },
  }
}

/** Tells `observer` that its operation joined a refresh, and which one when its trace context is known. */
export function joined(observer: OperationObserver, traceparent: string | undefined): void {
  observer.refresh('joined')
  if (traceparent !== undefined) observer.refreshJoined?.(traceparent)
}

/**
 * Runs one operation under the instrumentation: starts its observer, hands it to `run`, and ends it with
 * the outcome. Called only when an instrumentation is given.
 */
export async function observed<T>(
  instrumentation: Instrumentation,
  start: OperationStart,
  run: (observer: OperationObserver) => Promise<T>,
): Promise<T> {
  const observer = instrumentation.operation(start)
  try {
    const result = await run(observer)
    observer.end()
    return result
  } catch (error) {
    observer.end(errorCodeOf(error))
    throw error
  }
}

const defaultNow = (): number => (typeof performance === 'undefined' ? Date.now() : performance.now())

/** The store port with every call timed and reported to `storeCall`; the store itself when there is none. */
export function observedStore(store: StoragePort, instrumentation: Instrumentation | undefined): StoragePort {
  const report = instrumentation?.storeCall?.bind(instrumentation)
  if (report === undefined) return store
  const now = instrumentation?.now?.bind(instrumentation) ?? defaultNow
  const timed =
    <A extends unknown[], R>(method: keyof StoragePort, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = now()
      try {
        const result = await call(...args)
        report({ method, durationMs: now() - started, failed: false })
        return result
      } catch (error) {
        report({ method, durationMs: now() - started, failed: true })
        throw error
      }
    }
  const wrapped: StoragePort = {
    get: timed('get', store.get.bind(store)),
    set: timed('set', store.set.bind(store)),
    take: timed('take', store.take.bind(store)),
    delete: timed('delete', store.delete.bind(store)),
    getVersioned: timed('getVersioned', store.getVersioned.bind(store)),
    compareAndSet: timed('compareAndSet', store.compareAndSet.bind(store)),
    acquireLock: timed('acquireLock', store.acquireLock.bind(store)),
    extendLock: timed('extendLock', store.extendLock.bind(store)),
    releaseLock: timed('releaseLock', store.releaseLock.bind(store)),
  }
  if (store.waitForUnlock) wrapped.waitForUnlock = store.waitForUnlock.bind(store)
  if (store.watchChanges) wrapped.watchChanges = store.watchChanges.bind(store)
  return wrapped
}
