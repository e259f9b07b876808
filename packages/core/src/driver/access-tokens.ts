/**
 * Access tokens in this process: one refresh per grant at a time (single flight; concurrent callers join
 * it), a shared storage read for callers that arrive together, and a memo of the latest refresh so that
 * late 401s cost no storage read. Across processes, the refresh itself is coordinated by the lock
 * (`lock.ts`) that the run (`run.ts`) takes.
 */
import type { OperationObserver } from '../instrumentation.ts'
import { joined } from '../instrumentation.ts'
import type { Event, Grant, Machine, State, StoredGrant } from '../machine.ts'
import { needsRefresh } from '../machine.ts'
import type { Clock } from '../ports.ts'
import type { Records } from './records.ts'
import type { Drive } from './run.ts'
import { loadedState, throwStopped } from './run.ts'

/**
 * A grant's current Workfront session: the access token (a session ID, sent in the `sessionID` header),
 * its token type as Workfront sent it, and the tenant origin it is valid for.
 */
export interface AccessToken {
  /** The grant the token belongs to. */
  grantId: string
  /** The org's origin the token is for (`https://acme.my.workfront.com`): send it there only. */
  origin: string
  /** The session to send as `sessionID` (a secret: never log it). */
  accessToken: string
  /** Workfront's `token_type`, e.g. `sessionID` (not `Bearer`). */
  tokenType: string
}

export interface AccessTokensOptions {
  machine: Machine
  records: Records
  clock: Clock
  drive: Drive
  /** How long the latest refresh answers callers holding the token it replaced. Default 10 s. */
  recentMs?: number
  /** At most this many grants are remembered. Default 1000. */
  maxRecent?: number
  /**
   * The run's first event, from what storage holds: by default the code flow's `access.requested` on the
   * loaded grant; server sessions (the JWT flow) start with `session.requested`, which may create one.
   */
  begin?(grantId: string, current: StoredGrant | null, rejectedAccessToken: string | null): [State, Event]
}

export interface AccessTokens {
  /**
   * The grant's current access token, refreshed first when it is known to be expired or was rejected;
   * `observer` is told of the near-cache decision and of the refresh (see `Instrumentation`).
   */
  get(
    grantId: string,
    options?: { rejectedAccessToken?: string; observer?: OperationObserver },
  ): Promise<AccessToken>
  /**
   * What `get(grantId)` would answer at once from the near cache (nothing under way, the cached grant good
   * for now), without a promise; else undefined. The instrumented client's hot path.
   */
  ready(grantId: string): AccessToken | undefined
  /** Forgets what this process remembers of the grant (on logout). */
  forget(grantId: string): void
}

export function createAccessTokens(options: AccessTokensOptions): AccessTokens {
  const { machine, records, clock, drive } = options
  const begin =
    options.begin ??
    ((grantId, current, rejectedAccessToken): [State, Event] => [
      loadedState(machine, clock, grantId, current),
      { type: 'access.requested', now: clock.now(), rejectedAccessToken },
    ])
  const recentMs = options.recentMs ?? 10_000
  const maxRecent = options.maxRecent ?? 1_000
  const inflight = new Map<string, Flight>()
  /**
   * The latest refresh this process made, per grant: callers whose request failed with the token it
   * replaced (their 401 arrived after the refresh finished) get the new one without another storage read.
   */
  const recent = new Map<string, { replaced: string; token: AccessToken; at: number }>()
  /** The storage read (and decision) in progress per grant, and the rejected token it was asked with. */
  const reading = new Map<string, Reading>()

  function remember(grantId: string, entry: { replaced: string; token: AccessToken; at: number }): void {
    recent.delete(grantId)
    // Bounded: the oldest entries (Map keeps insertion order) go first.
    if (recent.size >= maxRecent) recent.delete(recent.keys().next().value as string)
    recent.set(grantId, entry)
  }

  /** Reads the grant, and refreshes it (one run per grant in this process) when it must be. */
  async function decide(
    grantId: string,
    rejectedAccessToken: string | undefined,
    entry: Reading,
    observer: OperationObserver | undefined,
  ): Promise<AccessToken> {
    // A rejected token is checked against the store itself: the near cache may hold the very token that
    // another process has already replaced, and refreshing it again would be a second refresh.
    const current =
      rejectedAccessToken === undefined
        ? await records.cachedGrant(grantId)
        : await records.loadGrant(grantId)
    const [state, event] = begin(grantId, current, rejectedAccessToken ?? null)
    const [next, effects] = machine.transition(state, event)
    if (effects.length === 0) {
      if (next.status === 'authorized') return accessTokenOf(next.grant)
      throwStopped({ state: next })
    }
    // A refresh is needed: one per grant in this process; concurrent callers join it.
    const again = inflight.get(grantId)
    if (again !== undefined) {
      entry.refresh = again
      return observer ? joinedFlight(again, observer) : again.token
    }
    const replaced = current?.grant.accessToken
    const flight = {} as Flight
    entry.refresh = flight
    flight.token = drive(state, event, observer ? { observer } : undefined)
      .then((result) => {
        if (result.state.status !== 'authorized') return throwStopped(result)
        flight.trace = result.state.grant.refreshTrace
        const token = accessTokenOf(result.state.grant)
        if (replaced !== undefined) remember(grantId, { replaced, token, at: clock.now() })
        return token
      })
      .finally(() => inflight.delete(grantId))
    inflight.set(grantId, flight)
    return flight.token
  }

  /** The token of the grant the near cache has, when it is good for now. */
  function fresh(grantId: string): AccessToken | undefined {
    const cached = records.peekGrant(grantId)
    return cached && !needsRefresh(cached.grant, clock.now(), machine.config.refreshSkewMs, null)
      ? accessTokenOf(cached.grant)
      : undefined
  }

  return {
    ready(grantId) {
      return options.begin !== undefined || inflight.has(grantId) ? undefined : fresh(grantId)
    },
    get(grantId, opts = {}) {
      const flight = inflight.get(grantId)
      if (flight !== undefined) {
        return opts.observer ? joinedFlight(flight, opts.observer) : flight.token
      }
      const last = recent.get(grantId)
      if (last && last.replaced === opts.rejectedAccessToken && clock.now() - last.at < recentMs) {
        return Promise.resolve(last.token)
      }
      // The fast lane of an authenticated request: a grant the near cache has, good for now.
      if (options.begin === undefined && opts.rejectedAccessToken === undefined) {
        const hit = fresh(grantId)
        opts.observer?.nearCache(hit !== undefined)
        if (hit) return Promise.resolve(hit)
      }
      // Callers that arrive together with the same view of the grant share one storage read (a storm of
      // a thousand callers costs one read per process, not a thousand).
      const shared = reading.get(grantId)
      if (shared && shared.rejected === opts.rejectedAccessToken) {
        return opts.observer ? joinedRead(shared, opts.observer) : shared.token
      }
      // `token` is set at once: `decide` marks the entry when it leads to a refresh.
      const entry = { rejected: opts.rejectedAccessToken } as Reading
      entry.token = decide(grantId, opts.rejectedAccessToken, entry, opts.observer)
      reading.set(grantId, entry)
      const done = (): void => {
        if (reading.get(grantId) === entry) reading.delete(grantId)
      }
      entry.token.then(done, done)
      return entry.token
    },
    forget(grantId) {
      recent.delete(grantId)
    },
  }
}

/**
 * A refresh in progress in this process. Once it succeeded, `trace` is the trace context of the refresh
 * whose answer it got (`Grant.refreshTrace`): its own run's, or another process's that it waited for — the
 * span the callers who joined it link to (see `OperationObserver.traceContext`).
 */
interface Flight {
  token: Promise<AccessToken>
  trace?: string
}

/** A caller that joined a refresh in progress: told `joined` (and which refresh) once it has settled. */
async function joinedFlight(flight: Flight, observer: OperationObserver): Promise<AccessToken> {
  try {
    return await flight.token
  } finally {
    joined(observer, flight.trace)
  }
}

/** A storage read (and decision) in progress: `refresh` once it has led to one. */
interface Reading {
  rejected: string | undefined
  token: Promise<AccessToken>
  refresh?: Flight
}

/** A caller that shared another's read: told `joined` if that read led to a refresh. */
async function joinedRead(shared: Reading, observer: OperationObserver): Promise<AccessToken> {
  try {
    return await shared.token
  } finally {
    if (shared.refresh) joined(observer, shared.refresh.trace)
  }
}

export function accessTokenOf(grant: Grant): AccessToken {
  return {
    grantId: grant.id,
    origin: grant.origin,
    accessToken: grant.accessToken,
    tokenType: grant.tokenType,
  }
}
