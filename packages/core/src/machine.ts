/**
 * The login transaction and the grant lifecycle as one pure state machine.
 *
 * `transition(state, event)` is synchronous and deterministic: impure inputs (the time, random values, the
 * PKCE challenge, what storage or the token endpoint answered) arrive inside events, and everything the
 * machine wants done leaves as effects (data). The driver (`createWorkfrontOAuth`) owns the ports, runs the
 * effects and feeds their results back as events. States are plain JSON, so a snapshot survives a round
 * trip through storage: a Worker keeps nothing in memory between `/login` and `/callback`.
 *
 * Two flows share the grant lifecycle: the authorization code flow (a user's grant, renewed with its
 * refresh token) and the Machine to Machine flow (a server session, renewed by exchanging a new signed JWT:
 * `session.requested` → the same lock, re-read and fenced write as a refresh, with `token.jwtExchange` in
 * place of `token.refresh`).
 *
 * After a refresh of a user's grant has been stored, who the grant belongs to is read again with the new
 * session (`reidentifying`): a run of its own that no caller waits for (the `detach` effect).
 */
import type { ErrorCode, WorkfrontOAuthErrorJSON } from './errors.ts'
import { assertNever, WorkfrontOAuthError } from './errors.ts'
import { resolveTenant } from './tenant.ts'

/** The configuration of the state machine (see `createMachine()`): the app's registration and its tenant rules. */
export interface MachineConfig {
  /** The OAuth2 app's client ID. */
  clientId: string
  /** The callback URL, exactly as registered. */
  redirectUri: string
  /** The org origin of a fixed-tenant app, e.g. `https://acme.my.workfront.com`. */
  fixedOrigin: string | null
  /** Multi-tenant apps: where users whose org is not known yet are sent to authorize. */
  entryOrigin: string | null
  /** Multi-tenant apps: host patterns the callback may name. */
  allowedHosts: readonly string[]
  /** Send a PKCE challenge (always true for public clients). */
  pkce: boolean
  /** How long a login transaction stays valid. */
  transactionTtlMs: number
  /** Refresh this long before a known expiry; at most a quarter of the token's lifetime (`needsRefresh`). */
  refreshSkewMs: number
  /**
   * What a sign-in reads of the user before the grant is stored: nothing (`null`), the user's ID
   * (`GET session`), or also the profile (`GET user/<id>`: name, username, email address). Read again after
   * every refresh, once the new tokens are stored, in the background (`reidentifying`).
   */
  user: 'id' | 'profile' | null
  /**
   * How long a refresh another holder started (`Grant.refreshStartedAt`) counts as possibly in flight: until
   * then no one else sends the same refresh token. Default 2 minutes (`REFRESH_CLAIM_MS`).
   */
  refreshClaimMs?: number
}

/**
 * How long a started refresh is waited for by default: two minutes. A holder whose lease ran out (a process
 * stopped or starved, a slow Workfront) still writes its answer within that; past it, the holder is taken
 * for dead and its refresh token is used again.
 */
export const REFRESH_CLAIM_MS = 120_000

/**
 * Who signed in, read from Workfront at sign-in and kept with the grant, so that knowing the user costs no
 * API call per request. Read again after each refresh of the grant, once the new tokens are stored, so that
 * a renamed user or a changed email address reaches the grant; a failed read keeps the user it had. A read
 * that names another `userID` ends the grant (see `WorkfrontOAuthOptions.user`). `name`, `username` and
 * `emailAddr` are null when the app asks for the ID only, or when Workfront gives none.
 */
export interface WorkfrontUser {
  /** The user's Workfront ID (`GET session`). */
  userID: string
  /** The user's full name, when the profile is read. */
  name: string | null
  /** The user's login name (usually an email address), when the profile is read. */
  username: string | null
  /** The user's email address, when the profile is read. */
  emailAddr: string | null
}

/** A login in progress, stored single-use under its `state` until the callback. */
export interface LoginTransaction {
  /** The random `state` the authorize URL carries. */
  state: string
  /** The PKCE verifier, when PKCE is used. */
  codeVerifier: string | null
  /** The tenant the login is bound to, when known before the callback. */
  expectedOrigin: string | null
  /** The app path to return to, checked at login. */
  returnTo: string
  /** When the login began (epoch ms). */
  createdAt: number
  /** SHA-256 of the nonce in the browser-binding cookie, when the login started in a browser. */
  browserBinding: string | null
}

/** What a token response says, normalized. */
export interface TokenSet {
  /** The session (`sessionID`). */
  accessToken: string
  /** The refresh token, when Workfront gave one (rotated on every refresh). */
  refreshToken: string | null
  /** As Workfront sent it (`sessionID`), not rewritten. */
  tokenType: string
  /** Seconds; null when absent or 0 ("unknown" — Workfront sends 0). */
  expiresIn: number | null
  /** Workfront's `wid`, when given. */
  wid: string | null
}

/** A user's authorization as stored: the tokens, the tenant origin they belong to, and their expiry. */
export interface Grant {
  /** The grant's id: the key of its record, and what the session cookie names. */
  id: string
  /** The tenant's origin: every token and API request of this grant goes there and nowhere else. */
  origin: string
  /** The current session (`sessionID`). */
  accessToken: string
  /** The current refresh token; null when Workfront gave none. */
  refreshToken: string | null
  /** Workfront's `token_type` (`sessionID`). */
  tokenType: string
  /** Workfront's `wid`, when given. */
  wid: string | null
  /** When the user signed in (epoch ms). */
  createdAt: number
  /** When the current access token was obtained (epoch ms). */
  obtainedAt: number
  /** Null when the lifetime is unknown: refresh reactively, when Workfront rejects the session. */
  expiresAt: number | null
  /** Refreshes, or JWT exchanges for a server session. */
  refreshCount: number
  /** `jwt`: a server session of the Machine to Machine flow, renewed by a new JWT exchange. */
  flow?: 'jwt'
  /**
   * Who signed in, when the app reads it (`MachineConfig.user`): at sign-in, and again after each refresh;
   * absent for server sessions.
   */
  user?: WorkfrontUser
  /**
   * The refresh claim: when a holder of the refresh lock sent (or was about to send) this grant's refresh
   * token and has not stored the answer yet. Written, fenced by the version, before the token request;
   * removed by the write of the answer. While it is fresh nobody else sends the same refresh token, even
   * when the holder's lease ran out: with rotation, the holder's answer is the only valid token.
   */
  refreshStartedAt?: number
  /**
   * The refresh's trace context: the W3C `traceparent` (trace id and span id, never a secret) of the
   * operation that claimed this grant or wrote its tokens, so that callers in other processes who use its
   * answer can link their spans to it. Written with the claim and kept by the answer; only by an instrumented
   * client whose instrumentation gives one (`OperationObserver.traceContext`), else absent.
   */
  refreshTrace?: string
}

/** A grant with the store version it was read at (for compare-and-set writes). */
export interface StoredGrant {
  /** The grant. */
  grant: Grant
  /** The version of its record, which fenced writes check. */
  version: number
}

/** The query parameters Workfront sends to the redirect URI. */
export interface CallbackParams {
  /** The authorization code (valid 2 minutes, single use). */
  code: string | null
  /** The `state` the login sent, naming its transaction. */
  state: string | null
  /** The user's org (`acme` of `acme.my.workfront.com`), as Workfront adds it to the callback. */
  domain: string | null
  /** The org's lane (`my`, `preview`, `sb01`…), as Workfront adds it to the callback. */
  lane: string | null
  /** An OAuth `error` code when the user or Workfront refused (`access_denied`…). */
  error: string | null
  /** Workfront's `error_description`, shown to nobody as is (it comes from the query string). */
  errorDescription: string | null
}

/** The serializable part of an error, as a failed state keeps it. */
export type ErrorState = Pick<WorkfrontOAuthErrorJSON, 'code' | 'message' | 'status' | 'upstreamCode'>

/** A state of the machine, discriminated by `status`; plain JSON, so it can be stored between requests. */
export type State =
  | { status: 'idle' }
  | { status: 'awaitingCallback'; transaction: LoginTransaction }
  | { status: 'exchanging'; transaction: LoginTransaction; origin: string }
  | { status: 'identifying'; grant: Grant; returnTo: string }
  | { status: 'storing'; grant: Grant; returnTo: string }
  | { status: 'authorized'; grant: Grant; version: number; returnTo?: string }
  | {
      status: 'refreshing'
      step: 'locking' | 'waiting' | 'claiming' | 'requesting' | 'rereading' | 'releasing' | 'storing'
      grant: Grant
      /** Null while a server session has never been stored. */
      version: number | null
      rejectedAccessToken: string | null
      /** `releasing`: how the run ends once its refresh claim is withdrawn. */
      failure?: { error: ErrorState; reauthorize: boolean }
      /** The run's trace context, from `lock.acquired`: stored with the claim and the answer. */
      trace?: string
    }
  | {
      /**
       * After a refresh was stored, in a run no caller waits for: the user is read again with the new
       * session (`reading`) and, when it changed, written fenced by the version (`writing`). A read that
       * failed looks at the grant again (`checking`) before it is reported.
       */
      status: 'reidentifying'
      step: 'reading' | 'writing'
      grant: Grant
      version: number
    }
  | {
      status: 'reidentifying'
      step: 'checking'
      grant: Grant
      version: number
      /** Why the user read failed: logged if the grant is still the one the refresh wrote. */
      error: ErrorState
    }
  | { status: 'reauthorizationRequired'; grantId: string; error: ErrorState }
  | { status: 'signedOut'; grantId: string | null }
  | { status: 'failed'; error: ErrorState }

/** An input of the machine, discriminated by `type`; impure inputs (time, random values) arrive inside it. */
export type Event =
  | {
      type: 'login.start'
      now: number
      state: string
      codeVerifier: string | null
      codeChallenge: string | null
      origin: string | null
      returnTo: string
      browserBinding: string | null
    }
  | { type: 'callback.received'; now: number; params: CallbackParams; browserBinding: string | null }
  | { type: 'token.succeeded'; now: number; tokens: TokenSet; grantId: string }
  | { type: 'token.failed'; error: ErrorState }
  | { type: 'user.read'; user: WorkfrontUser }
  | { type: 'user.failed'; error: ErrorState }
  | { type: 'grant.loaded'; now: number; grantId: string; current: StoredGrant | null }
  | { type: 'grant.saved'; version: number }
  | { type: 'grant.conflict'; now: number; current: StoredGrant | null }
  | { type: 'access.requested'; now: number; rejectedAccessToken: string | null }
  | {
      type: 'lock.acquired'
      now: number
      current: StoredGrant | null
      /** The W3C `traceparent` of the operation the run is part of, when it is instrumented (`Grant.refreshTrace`). */
      trace?: string
    }
  | { type: 'lock.timeout' }
  | { type: 'logout.requested' }
  | {
      /** A server session (JWT flow) is needed: `current` is what storage holds under `grantId`. */
      type: 'session.requested'
      now: number
      grantId: string
      origin: string
      current: StoredGrant | null
      rejectedAccessToken: string | null
    }

/** Work the machine asks its driver to do, as data: storage writes, token requests, redirects. */
export type Effect =
  | { type: 'transaction.save'; transaction: LoginTransaction; ttlMs: number }
  | { type: 'redirect'; url: string }
  | { type: 'token.exchange'; origin: string; code: string; codeVerifier: string | null }
  | { type: 'token.refresh'; origin: string; refreshToken: string }
  | { type: 'token.jwtExchange'; origin: string }
  | { type: 'user.read'; origin: string; accessToken: string; profile: boolean }
  | { type: 'grant.save'; grant: Grant; expectedVersion: number | null }
  /** A compare-and-set of the refresh claim (or its withdrawal): it lands now or not at all, never later. */
  | { type: 'grant.claim'; grant: Grant; expectedVersion: number }
  /**
   * A compare-and-set of what a grant says besides its tokens (the user read again): like `grant.claim`,
   * it lands now or not at all; only rotated tokens are kept to be written later.
   */
  | { type: 'grant.update'; grant: Grant; expectedVersion: number }
  /** Waits a moment, keeping the lock, and re-reads the grant (`grant.loaded`), or ends in `lock.timeout`. */
  | { type: 'grant.await'; grantId: string }
  | { type: 'grant.reread'; grantId: string }
  | { type: 'lock.acquire'; grantId: string }
  | { type: 'lock.release'; grantId: string }
  | { type: 'session.end'; origin: string; accessToken: string }
  | { type: 'grant.delete'; grantId: string }
  /**
   * Work no caller waits for: once the grant's last write has landed (a write held in the process first
   * settles), the driver runs `effects` from `state` as a run of its own, in the background
   * (`WorkfrontOAuth.pendingWrites()`), and the current run goes on without it.
   */
  | { type: 'detach'; grantId: string; state: State; effects: Effect[] }
  /** Tells the operator (the `Logger` port); `error` is the serializable part of an error, never a secret. */
  | { type: 'log'; level: 'warn' | 'error'; message: string; error?: ErrorState }

/** What `Machine.transition()` returns: the next state and the effects to run. */
export type Transition = [State, Effect[]]

/** Workfront's authorize endpoint, on the tenant's origin. */
export const AUTHORIZE_PATH = '/integrations/oauth2/authorize'
/** Workfront's token endpoint, on the tenant's origin. */
export const TOKEN_PATH = '/integrations/oauth2/api/v1/token'

/** The state before a login starts. */
export function initialState(): State {
  return { status: 'idle' }
}

const fail = (code: ErrorCode, message: string): Transition => [
  { status: 'failed', error: new WorkfrontOAuthError(code, message).toJSON() },
  [],
]

/**
 * True when the grant's access token is known to be expired (with skew) or was reported rejected. The skew
 * is at most a quarter of the token's lifetime: a session that lives no longer than the skew (Workfront may
 * answer `expires_in: 30`) would otherwise count as expired from the moment it was obtained, and every call
 * would renew it.
 */
export function needsRefresh(
  grant: Grant,
  now: number,
  skewMs: number,
  rejectedAccessToken: string | null,
): boolean {
  if (rejectedAccessToken !== null && rejectedAccessToken === grant.accessToken) return true
  if (grant.expiresAt === null) return false
  const lifetime = Math.max(0, grant.expiresAt - grant.obtainedAt)
  return now >= grant.expiresAt - Math.min(skewMs, lifetime / 4)
}

type Refreshing = Extract<State, { status: 'refreshing' }>

/** The placeholder of a server session that has never been stored: its first exchange fills it in. */
function serverSession(id: string, origin: string, now: number): Grant {
  return {
    id,
    origin,
    accessToken: '',
    refreshToken: null,
    tokenType: 'sessionID',
    wid: null,
    createdAt: now,
    obtainedAt: now,
    expiresAt: null,
    refreshCount: 0,
    flow: 'jwt',
  }
}

/** The grant without its refresh claim (and the trace context that came with it). */
export function unclaimed(grant: Grant): Grant {
  const { refreshStartedAt, refreshTrace, ...rest } = grant
  return rest
}

/** The grant carrying a run's trace context, when the run has one. */
function traced(grant: Grant, trace: string | undefined): Grant {
  return trace === undefined ? grant : { ...grant, refreshTrace: trace }
}

/** Builds a grant from a token response (`expires_in` of 0 or absent means "unknown"). */
export function grantFromTokens(tokens: TokenSet, grantId: string, origin: string, now: number): Grant {
  return {
    id: grantId,
    origin,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    tokenType: tokens.tokenType,
    wid: tokens.wid,
    createdAt: now,
    obtainedAt: now,
    expiresAt: tokens.expiresIn === null ? null : now + tokens.expiresIn * 1000,
    refreshCount: 0,
  }
}

/** A refreshed grant: a response without a refresh token keeps the old one (Workfront may omit it). */
export function refreshedGrant(grant: Grant, tokens: TokenSet, now: number): Grant {
  return unclaimed({
    ...grant,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken ?? grant.refreshToken,
    tokenType: tokens.tokenType,
    wid: tokens.wid ?? grant.wid,
    obtainedAt: now,
    expiresAt: tokens.expiresIn === null ? null : now + tokens.expiresIn * 1000,
    refreshCount: grant.refreshCount + 1,
  })
}

/** Workfront's documented authorize link plus `state` and PKCE. */
export function authorizeURL(
  config: MachineConfig,
  origin: string,
  state: string,
  codeChallenge: string | null,
): string {
  const url = new URL(AUTHORIZE_PATH, origin)
  url.searchParams.set('client_id', config.clientId)
  url.searchParams.set('redirect_uri', config.redirectUri)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('state', state)
  if (codeChallenge !== null) {
    url.searchParams.set('code_challenge', codeChallenge)
    url.searchParams.set('code_challenge_method', 'S256')
  }
  return url.href
}

/** The pure state machine of the flows: `transition(state, event)` is synchronous and deterministic. */
export interface Machine {
  /** The settings it was made with. */
  config: MachineConfig
  /** The next state and the effects to run, for `event` in `state`: pure, no I/O. */
  transition(state: State, event: Event): Transition
}

/** Creates the state machine for a configuration; `createWorkfrontOAuth()` drives one. */
export function createMachine(config: MachineConfig): Machine {
  const claimMs = config.refreshClaimMs ?? REFRESH_CLAIM_MS
  const reauthorize = (grantId: string, code: ErrorCode, message: string): State => ({
    status: 'reauthorizationRequired',
    grantId,
    error: new WorkfrontOAuthError(code, message).toJSON(),
  })

  /** Reads who the grant's session belongs to (`user.read`), as the app asks (`MachineConfig.user`). */
  const userRead = (grant: Grant): Effect => ({
    type: 'user.read',
    origin: grant.origin,
    accessToken: grant.accessToken,
    profile: config.user === 'profile',
  })

  /**
   * A refresh was stored: the user is read again with the new session, in the background. Never before the
   * write: the rotated refresh token is then safe whatever happens to the read. A server session has no user.
   */
  function refreshed(grant: Grant, version: number): Transition {
    const authorized: State = { status: 'authorized', grant, version }
    if (config.user === null || grant.flow === 'jwt') return [authorized, []]
    const reading: State = { status: 'reidentifying', step: 'reading', grant, version }
    return [authorized, [{ type: 'detach', grantId: grant.id, state: reading, effects: [userRead(grant)] }]]
  }

  /**
   * The user read again after a refresh: kept when unchanged, written (fenced by the version written by the
   * refresh: a newer grant wins) when renamed. Another `userID` means the refresh token now answers for
   * someone else (OpenID Connect Core §12.2 requires the same `sub` after a refresh): the identity is not
   * replaced, the grant is ended and the user must sign in again. Its delete is not fenced: every version of
   * this grant id descends from the same refresh token.
   *
   * A grant written since the refresh (a newer refresh, which reads the user itself, or a sign-out) wins,
   * silently: that is concurrency, not a fault. So a failed read is reported only when the grant is still
   * the one the refresh wrote; a read that failed because the user signed out meanwhile is not.
   */
  function reidentifying(state: Extract<State, { status: 'reidentifying' }>, event: Event): Transition {
    const { grant, version } = state
    const newer = (current: StoredGrant | null): State =>
      current
        ? { status: 'authorized', grant: current.grant, version: current.version }
        : { status: 'signedOut', grantId: grant.id }
    if (state.step === 'writing') {
      if (event.type === 'grant.saved') return [{ status: 'authorized', grant, version: event.version }, []]
      if (event.type !== 'grant.conflict') return [state, []]
      return [newer(event.current), []]
    }
    if (state.step === 'checking') {
      if (event.type !== 'grant.loaded') return [state, []]
      if (event.current?.version !== version) return [newer(event.current), []]
      const message = 'the user could not be read again after a refresh'
      return [
        { status: 'authorized', grant, version },
        [{ type: 'log', level: 'warn', message, error: state.error }],
      ]
    }
    if (event.type === 'user.failed') {
      return [
        { status: 'reidentifying', step: 'checking', grant, version, error: event.error },
        [{ type: 'grant.reread', grantId: grant.id }],
      ]
    }
    if (event.type !== 'user.read') return [state, []]
    const before = grant.user
    const { user } = event
    if (before && before.userID !== user.userID) {
      return [
        reauthorize(grant.id, 'reauthorization_required', 'Workfront names another user; sign in again'),
        [
          { type: 'log', level: 'error', message: 'a refresh named another user: the grant was ended' },
          { type: 'session.end', origin: grant.origin, accessToken: grant.accessToken },
          { type: 'grant.delete', grantId: grant.id },
        ],
      ]
    }
    if (
      before &&
      before.name === user.name &&
      before.username === user.username &&
      before.emailAddr === user.emailAddr
    ) {
      return [{ status: 'authorized', grant, version }, []]
    }
    const renamed: Grant = { ...grant, user }
    return [
      { ...state, step: 'writing', grant: renamed },
      [{ type: 'grant.update', grant: renamed, expectedVersion: version }],
    ]
  }

  /** After reading the stored grant: use it if it is usable, else go on refreshing. */
  function settle(
    state: Extract<State, { status: 'refreshing' }>,
    now: number,
    current: StoredGrant | null,
    holdsLock: boolean,
  ): Transition | null {
    const release: Effect[] = holdsLock ? [{ type: 'lock.release', grantId: state.grant.id }] : []
    // A server session that is not stored (yet, or any more) is made by an exchange.
    if (!current && state.grant.flow === 'jwt') return null
    if (!current)
      return [reauthorize(state.grant.id, 'grant_not_found', 'The grant no longer exists'), release]
    if (!needsRefresh(current.grant, now, config.refreshSkewMs, state.rejectedAccessToken)) {
      return [{ status: 'authorized', grant: current.grant, version: current.version }, release]
    }
    return null
  }

  /**
   * Under the lock, on what storage holds now: use it, wait for a refresh another holder started, or claim
   * the refresh (a fenced write) before sending the refresh token read here.
   */
  function underLock(state: Refreshing, now: number, current: StoredGrant | null): Transition {
    const settled = settle(state, now, current, true)
    if (settled) return settled
    const release: Effect = { type: 'lock.release', grantId: state.grant.id }
    if (state.grant.flow === 'jwt') {
      // Under the lock and still needed: one exchange, whose result is written fenced by the version read
      // here (null: the session must still be absent). A second exchange costs nothing but a session.
      return [
        {
          ...state,
          step: 'requesting',
          grant: current?.grant ?? state.grant,
          version: current?.version ?? null,
        },
        [{ type: 'token.jwtExchange', origin: state.grant.origin }],
      ]
    }
    const { grant, version } = current as StoredGrant
    if (grant.refreshToken === null) {
      return [
        reauthorize(
          state.grant.id,
          'reauthorization_required',
          'The session expired and cannot be refreshed',
        ),
        [release],
      ]
    }
    if (grant.refreshStartedAt !== undefined && now - grant.refreshStartedAt < claimMs) {
      // Another holder sent this refresh token and has not stored the answer: its lease ran out while it was
      // stopped or starved, or Workfront is slow. With rotation its answer is the only valid token; sending
      // the same refresh token again would be refused, or (reuse detection) revoke that answer. Wait for it.
      return [{ ...state, step: 'waiting', grant, version }, [{ type: 'grant.await', grantId: grant.id }]]
    }
    const claimed = traced({ ...unclaimed(grant), refreshStartedAt: now }, state.trace)
    return [
      { ...state, step: 'claiming', grant: claimed, version },
      [{ type: 'grant.claim', grant: claimed, expectedVersion: version }],
    ]
  }

  /** Withdraws this run's refresh claim (fenced: only if nothing was written since), then ends the run. */
  function giveUp(state: Refreshing, error: ErrorState, reauthorizes: boolean, grant: Grant): Transition {
    return [
      { ...state, step: 'releasing', failure: { error, reauthorize: reauthorizes } },
      [{ type: 'grant.claim', grant, expectedVersion: state.version as number }],
    ]
  }

  function refreshing(state: Refreshing, event: Event): Transition {
    const release: Effect = { type: 'lock.release', grantId: state.grant.id }
    switch (state.step) {
      case 'locking':
        switch (event.type) {
          case 'lock.acquired':
            return underLock(
              event.trace === undefined ? state : { ...state, trace: event.trace },
              event.now,
              event.current,
            )
          case 'grant.loaded': {
            // Woken while another holder refreshed: use its result, or try the lock again.
            const settled = settle(state, event.now, event.current, false)
            if (settled) return settled
            return [state, [{ type: 'lock.acquire', grantId: state.grant.id }]]
          }
          case 'lock.timeout':
            return fail('refresh_timeout', 'Timed out waiting for another refresh of this grant')
          default:
            return [state, []]
        }
      case 'waiting':
        switch (event.type) {
          case 'grant.loaded':
            return underLock(state, event.now, event.current)
          case 'lock.timeout': {
            const [failed] = fail('refresh_timeout', 'Timed out waiting for another refresh of this grant')
            return [failed, [release]]
          }
          default:
            return [state, []]
        }
      case 'claiming':
        switch (event.type) {
          case 'grant.saved':
            return [
              { ...state, step: 'requesting', version: event.version },
              [
                {
                  type: 'token.refresh',
                  origin: state.grant.origin,
                  refreshToken: state.grant.refreshToken as string,
                },
              ],
            ]
          case 'grant.conflict':
            // Written since it was read (a holder whose lease ran out stored its answer): look again.
            return underLock(state, event.now, event.current)
          default:
            return [state, []]
        }
      case 'requesting':
        switch (event.type) {
          case 'token.succeeded': {
            const grant = traced(refreshedGrant(state.grant, event.tokens, event.now), state.trace)
            return [
              { ...state, step: 'storing', grant },
              [{ type: 'grant.save', grant, expectedVersion: state.version }, release],
            ]
          }
          case 'token.failed':
            if (event.error.code === 'refresh_rejected') {
              // Another instance may have rotated the token a moment ago: look once more before
              // declaring the grant lost.
              return [{ ...state, step: 'rereading' }, [{ type: 'grant.reread', grantId: state.grant.id }]]
            }
            if (state.grant.flow === 'jwt') return [{ status: 'failed', error: event.error }, [release]]
            // Workfront's answer did not come (or said nothing about the token): nobody will store an answer
            // to this claim, so it is withdrawn and the next holder may try the refresh token again.
            return giveUp(state, event.error, false, unclaimed(state.grant))
          default:
            return [state, []]
        }
      case 'rereading': {
        if (event.type !== 'grant.loaded') return [state, []]
        const { current } = event
        if (current && current.grant.refreshToken !== state.grant.refreshToken) {
          return [{ status: 'authorized', grant: current.grant, version: current.version }, [release]]
        }
        if (current && current.version === state.version && state.grant.flow !== 'jwt') {
          // Nothing was written since this run's claim, so no other refresh of this token was in flight:
          // Workfront refused it for good, and the user must sign in again. The claim is withdrawn (fenced
          // by its version); the grant is left as it is, as after any refused refresh.
          const error = new WorkfrontOAuthError(
            'reauthorization_required',
            'Workfront no longer accepts this grant; sign in again',
          ).toJSON()
          return giveUp(state, error, true, unclaimed(state.grant))
        }
        if (current && state.grant.flow !== 'jwt') {
          // Another holder wrote since this run's claim (it took the claim over, or stored an answer): what
          // it wrote decides, as if the lock had just been taken.
          return underLock(state, event.now, current)
        }
        return [
          reauthorize(
            state.grant.id,
            'reauthorization_required',
            'Workfront no longer accepts this grant; sign in again',
          ),
          [release],
        ]
      }
      case 'releasing': {
        if (event.type !== 'grant.saved' && event.type !== 'grant.conflict') return [state, []]
        const failure = state.failure as { error: ErrorState; reauthorize: boolean }
        const ended: State = failure.reauthorize
          ? { status: 'reauthorizationRequired', grantId: state.grant.id, error: failure.error }
          : { status: 'failed', error: failure.error }
        return [ended, [release]]
      }
      case 'storing':
        switch (event.type) {
          case 'grant.saved':
            return refreshed(state.grant, event.version)
          case 'grant.conflict':
            // A newer write won (our claim was taken over, or the grant was deleted): the stored record is
            // the truth, and ours is dropped.
            if (!event.current)
              return [reauthorize(state.grant.id, 'grant_not_found', 'The grant no longer exists'), []]
            return [{ status: 'authorized', grant: event.current.grant, version: event.current.version }, []]
          default:
            return [state, []]
        }
      default:
        return assertNever(state.step)
    }
  }

  function transition(state: State, event: Event): Transition {
    switch (state.status) {
      case 'idle':
        switch (event.type) {
          case 'login.start': {
            const origin = event.origin ?? config.fixedOrigin ?? config.entryOrigin
            if (origin === null)
              return fail('invalid_tenant', 'The Workfront tenant to sign in to is not known')
            if (config.pkce && (event.codeVerifier === null || event.codeChallenge === null)) {
              return fail('invalid_options', 'PKCE is required but no challenge was given')
            }
            const transaction: LoginTransaction = {
              state: event.state,
              codeVerifier: config.pkce ? event.codeVerifier : null,
              expectedOrigin: event.origin ?? config.fixedOrigin,
              returnTo: event.returnTo,
              createdAt: event.now,
              browserBinding: event.browserBinding,
            }
            const url = authorizeURL(config, origin, event.state, config.pkce ? event.codeChallenge : null)
            return [
              { status: 'awaitingCallback', transaction },
              [
                { type: 'transaction.save', transaction, ttlMs: config.transactionTtlMs },
                { type: 'redirect', url },
              ],
            ]
          }
          case 'callback.received':
            // No transaction was found for this state: unknown, expired from storage, or already used.
            if (event.params.error !== null) return callbackError(event.params)
            return fail('state_mismatch', 'This sign-in link is unknown or was already used')
          case 'grant.loaded':
            if (!event.current)
              return [reauthorize(event.grantId, 'grant_not_found', 'The grant does not exist'), []]
            return [{ status: 'authorized', grant: event.current.grant, version: event.current.version }, []]
          case 'logout.requested':
            return [{ status: 'signedOut', grantId: null }, []]
          case 'session.requested': {
            const { current } = event
            if (
              current &&
              !needsRefresh(current.grant, event.now, config.refreshSkewMs, event.rejectedAccessToken)
            ) {
              return [{ status: 'authorized', grant: current.grant, version: current.version }, []]
            }
            return [
              {
                status: 'refreshing',
                step: 'locking',
                grant: current?.grant ?? serverSession(event.grantId, event.origin, event.now),
                version: current?.version ?? null,
                rejectedAccessToken: event.rejectedAccessToken,
              },
              [{ type: 'lock.acquire', grantId: event.grantId }],
            ]
          }
          default:
            return [state, []]
        }

      case 'awaitingCallback': {
        if (event.type !== 'callback.received') return [state, []]
        const { transaction } = state
        const { params } = event
        if (params.state === null || params.state !== transaction.state) {
          return fail('state_mismatch', 'The callback does not belong to this sign-in')
        }
        if (transaction.browserBinding !== null && transaction.browserBinding !== event.browserBinding) {
          return fail('browser_mismatch', 'The sign-in was started in another browser')
        }
        if (params.error !== null) return callbackError(params)
        if (event.now > transaction.createdAt + config.transactionTtlMs) {
          return fail('state_expired', 'The sign-in took too long; please start again')
        }
        if (params.code === null || params.code === '') {
          return fail('invalid_callback', 'The callback carries no authorization code')
        }
        const tenant = resolveTenant({
          domain: params.domain,
          lane: params.lane,
          expectedOrigin: transaction.expectedOrigin,
          allowedHosts: config.allowedHosts,
          fixed: config.fixedOrigin !== null,
        })
        if (!tenant.ok) return [{ status: 'failed', error: tenant.error.toJSON() }, []]
        return [
          { status: 'exchanging', transaction, origin: tenant.origin },
          [
            {
              type: 'token.exchange',
              origin: tenant.origin,
              code: params.code,
              codeVerifier: transaction.codeVerifier,
            },
          ],
        ]
      }

      case 'exchanging':
        switch (event.type) {
          case 'token.succeeded': {
            const grant = grantFromTokens(event.tokens, event.grantId, state.origin, event.now)
            const { returnTo } = state.transaction
            if (config.user !== null) {
              // Who signed in is read here, before the grant is stored, and kept with it.
              return [{ status: 'identifying', grant, returnTo }, [userRead(grant)]]
            }
            return [
              { status: 'storing', grant, returnTo },
              [{ type: 'grant.save', grant, expectedVersion: null }],
            ]
          }
          case 'token.failed':
            return [{ status: 'failed', error: event.error }, []]
          default:
            return [state, []]
        }

      case 'identifying':
        switch (event.type) {
          case 'user.read': {
            const grant: Grant = { ...state.grant, user: event.user }
            return [
              { status: 'storing', grant, returnTo: state.returnTo },
              [{ type: 'grant.save', grant, expectedVersion: null }],
            ]
          }
          case 'user.failed':
            // A sign-in that cannot say who signed in is not complete; the session it opened is ended.
            return [
              { status: 'failed', error: event.error },
              [{ type: 'session.end', origin: state.grant.origin, accessToken: state.grant.accessToken }],
            ]
          default:
            return [state, []]
        }

      case 'storing':
        switch (event.type) {
          case 'grant.saved':
            return [
              { status: 'authorized', grant: state.grant, version: event.version, returnTo: state.returnTo },
              [],
            ]
          case 'grant.conflict':
            return fail('unexpected_response', 'A grant with this id already exists')
          default:
            return [state, []]
        }

      case 'authorized':
        switch (event.type) {
          case 'access.requested':
            if (!needsRefresh(state.grant, event.now, config.refreshSkewMs, event.rejectedAccessToken)) {
              return [{ status: 'authorized', grant: state.grant, version: state.version }, []]
            }
            if (state.grant.refreshToken === null && state.grant.flow !== 'jwt') {
              return [
                reauthorize(
                  state.grant.id,
                  'reauthorization_required',
                  'The session expired and cannot be refreshed',
                ),
                [],
              ]
            }
            return [
              {
                status: 'refreshing',
                step: 'locking',
                grant: state.grant,
                version: state.version,
                rejectedAccessToken: event.rejectedAccessToken,
              },
              [{ type: 'lock.acquire', grantId: state.grant.id }],
            ]
          case 'logout.requested':
            return [
              { status: 'signedOut', grantId: state.grant.id },
              [
                { type: 'session.end', origin: state.grant.origin, accessToken: state.grant.accessToken },
                { type: 'grant.delete', grantId: state.grant.id },
              ],
            ]
          default:
            return [state, []]
        }

      case 'refreshing':
        return refreshing(state, event)

      case 'reidentifying':
        return reidentifying(state, event)

      case 'reauthorizationRequired':
      case 'signedOut':
      case 'failed':
        return [state, []]
      default:
        return assertNever(state)
    }
  }

  return { config, transition }
}

function callbackError(params: CallbackParams): Transition {
  // `error` comes from the query string: only a well-formed RFC 6749 code is repeated, never free text.
  const upstreamCode = /^[a-z_]{1,64}$/.test(params.error ?? '') ? (params.error as string) : undefined
  if (params.error === 'access_denied') {
    return [
      {
        status: 'failed',
        error: new WorkfrontOAuthError('access_denied', 'Access to Workfront was not granted', {
          upstreamCode,
        }).toJSON(),
      },
      [],
    ]
  }
  return [
    {
      status: 'failed',
      error: new WorkfrontOAuthError('authorization_error', 'Workfront refused the sign-in', {
        upstreamCode,
      }).toJSON(),
    },
    [],
  ]
}
