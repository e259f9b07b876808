/**
 * The driver: owns the ports, runs the machine's effects and feeds their results back as events.
 */
import { hasControlCharacters, sha256 } from './encoding.ts'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from './errors.ts'
import { isRedirect, parseRetryAfter, sendWithDeadline } from './http.ts'
import type {
  CallbackParams,
  Effect,
  Event,
  Grant,
  LoginTransaction,
  Machine,
  State,
  StoredGrant,
} from './machine.ts'
import { createMachine, initialState } from './machine.ts'
import { createPKCE, randomToken } from './pkce.ts'
import type { Clock, HTTPClient, RandomSource, StoragePort } from './ports.ts'
import { cryptoRandom, systemClock } from './ports.ts'
import type { ClientAuth, TokenClient } from './protocol.ts'
import { createTokenClient, safeCause } from './protocol.ts'
import { parseBaseURL, parseTenantInput, WORKFRONT_HOST_PATTERNS } from './tenant.ts'

export interface WorkfrontOAuthOptions {
  clientId: string
  /** Absent for Workfront's single-page-app type: the client is public and PKCE is used. */
  clientSecret?: string
  /** How the secret is sent: `post` (form body, the default) or `basic` (header + JSON body). */
  clientAuth?: 'post' | 'basic'
  /** Exactly as registered with the Workfront app; no query string. */
  redirectUri: string
  /** Fixed-tenant apps: the org's origin, e.g. `https://acme.my.workfront.com`. */
  baseUrl?: string
  /** Multi-tenant apps: the tenant comes from the user or from the callback. */
  multiTenant?: {
    /** Host patterns a tenant may have (default: Workfront's public host families). */
    allowedHosts?: readonly string[]
    /** Where users who have not named their org are sent to authorize. */
    entryUrl?: string
  }
  /** Send PKCE even with a client secret (always on without one). Default: only for public clients. */
  pkce?: boolean
  store: StoragePort
  /** Default: global `fetch`. */
  http?: HTTPClient
  clock?: Clock
  random?: RandomSource
  /** Workfront API version, e.g. `v21.0`. */
  apiVersion?: string
  /** Deadline of one token request. Default 10 s. */
  tokenTimeoutMs?: number
  /** Deadline of one API request (until the response headers). Default 30 s. */
  apiTimeoutMs?: number
  /** Lifetime of a login transaction. Default 10 minutes. */
  transactionTtlMs?: number
  /** Refresh this long before a known expiry. Default 60 s. */
  refreshSkewMs?: number
  /** Lease of the refresh lock; extended while a token request runs. Default 15 s. */
  lockLeaseMs?: number
  /** How long a request waits for another instance's refresh. Default 30 s. */
  lockWaitMs?: number
  /** Storage TTL of a grant, renewed on every write. Default 90 days; `null` keeps grants forever. */
  grantTtlMs?: number | null
}

export const DEFAULT_API_VERSION = 'v21.0'

/** A grant as the app may show it: no tokens. */
export interface GrantInfo {
  id: string
  origin: string
  tokenType: string
  wid: string | null
  createdAt: number
  obtainedAt: number
  expiresAt: number | null
  refreshCount: number
}

export interface AccessToken {
  grantId: string
  origin: string
  accessToken: string
  tokenType: string
}

export interface StartLoginOptions {
  /** Where to go after sign-in (already validated by the caller; see `validateReturnTo`). */
  returnTo?: string
  /** Multi-tenant apps: the org the user named (`acme`, `acme.my.workfront.com`, an origin). */
  tenant?: string
  /** The browser-binding nonce from the login cookie; the callback must present the same one. */
  browserBinding?: string
}

export interface LoginStart {
  url: string
  state: string
}

export interface CallbackResult {
  grant: GrantInfo
  returnTo: string
}

export interface WorkfrontOAuth {
  readonly machine: Machine
  readonly apiVersion: string
  startLogin(options?: StartLoginOptions): Promise<LoginStart>
  handleCallback(
    input: URL | URLSearchParams | CallbackParams,
    options?: { browserBinding?: string | null },
  ): Promise<CallbackResult>
  /** The grant's current access token, refreshed first when it is known to be expired or was rejected. */
  getAccessToken(grantId: string, options?: { rejectedAccessToken?: string }): Promise<AccessToken>
  getGrant(grantId: string): Promise<GrantInfo | null>
  /** Calls `/attask/api/<version>/<path>` with the grant's session; refreshes and retries once on expiry. */
  fetch(grantId: string, path: string, init?: RequestInit): Promise<Response>
  /** Ends the Workfront session (best effort) and deletes the grant. */
  logout(grantId: string): Promise<{ sessionEnded: boolean }>
}

const TX_GRACE_MS = 5 * 60_000
const MAX_LOCK_ROUNDS = 1_000
const RECENT_REFRESH_MS = 10_000
const MAX_RECENT_REFRESHES = 1_000

export function createWorkfrontOAuth(options: WorkfrontOAuthOptions): WorkfrontOAuth {
  const clientSecret = options.clientSecret ?? null
  if (!options.clientId) throw new WorkfrontOAuthError('invalid_options', 'clientId is required')
  if (clientSecret === '') throw new WorkfrontOAuthError('invalid_options', 'clientSecret must not be empty')
  if (options.pkce === false && clientSecret === null) {
    throw new WorkfrontOAuthError('invalid_options', 'A client without a secret must use PKCE')
  }
  if (Boolean(options.baseUrl) === Boolean(options.multiTenant)) {
    throw new WorkfrontOAuthError('invalid_options', 'Give exactly one of baseUrl (one org) and multiTenant')
  }
  let redirect: URL
  try {
    redirect = new URL(options.redirectUri)
  } catch (cause) {
    throw new WorkfrontOAuthError('invalid_options', 'redirectUri is not a URL', { cause })
  }
  if (redirect.search || redirect.hash) {
    throw new WorkfrontOAuthError('invalid_options', 'redirectUri must not have a query or fragment')
  }
  const clientAuth: ClientAuth = clientSecret === null ? 'none' : (options.clientAuth ?? 'post')
  const apiVersion = options.apiVersion ?? DEFAULT_API_VERSION
  if (!/^v\d{1,2}\.\d$/.test(apiVersion)) {
    throw new WorkfrontOAuthError('invalid_options', 'apiVersion must look like v21.0')
  }
  const allowedHosts = options.multiTenant?.allowedHosts ?? WORKFRONT_HOST_PATTERNS
  const store = options.store
  const http: HTTPClient = options.http ?? ((input, init) => fetch(input, init))
  const clock = options.clock ?? systemClock
  const random = options.random ?? cryptoRandom
  const tokenTimeoutMs = options.tokenTimeoutMs ?? 10_000
  const apiTimeoutMs = options.apiTimeoutMs ?? 30_000
  const leaseMs = options.lockLeaseMs ?? 15_000
  const lockWaitMs = options.lockWaitMs ?? 30_000
  const grantTtlMs = options.grantTtlMs === undefined ? 90 * 24 * 3_600_000 : options.grantTtlMs

  const machine = createMachine({
    clientId: options.clientId,
    redirectUri: options.redirectUri,
    fixedOrigin: options.baseUrl ? parseBaseURL(options.baseUrl) : null,
    entryOrigin: options.multiTenant?.entryUrl
      ? parseBaseURL(options.multiTenant.entryUrl, 'entryUrl')
      : null,
    allowedHosts,
    pkce: clientSecret === null || options.pkce === true,
    transactionTtlMs: options.transactionTtlMs ?? 10 * 60_000,
    refreshSkewMs: options.refreshSkewMs ?? 60_000,
  })

  const tokens: TokenClient = createTokenClient({
    clientId: options.clientId,
    clientSecret,
    clientAuth,
    redirectUri: options.redirectUri,
    http,
    timeoutMs: tokenTimeoutMs,
    clock,
  })

  const grantKey = (id: string): string => `grant:${id}`
  const txKey = (state: string): string => `tx:${state}`

  /** Every storage call goes through here: a failing store is a typed, retryable condition. */
  async function stored<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (isWorkfrontOAuthError(error)) throw error
      throw new WorkfrontOAuthError('store_unavailable', 'The session store is unavailable', {
        cause: safeCause(error),
      })
    }
  }

  async function loadGrant(id: string): Promise<StoredGrant | null> {
    const record = await stored(() => store.getVersioned(grantKey(id)))
    if (!record) return null
    return { grant: JSON.parse(record.value) as Grant, version: record.version }
  }

  /** One run of the machine: dispatches `event`, runs effects, feeds results back until it settles. */
  async function drive(
    start: State,
    event: Event,
    context: { owner?: string; state?: string } = {},
  ): Promise<{ state: State; redirect?: string; error?: WorkfrontOAuthError; sessionEnded?: boolean }> {
    let state = start
    let sessionEnded: boolean | undefined
    let redirectTo: string | undefined
    let lastError: WorkfrontOAuthError | undefined
    let holdsLock = false
    const owner = context.owner ?? randomToken(random, 16)
    const lockDeadline = clock.now() + lockWaitMs
    // Also a bound on rounds, for clocks that do not move (tests) and stores that wake waiters early.
    let lockRounds = 0
    const queue: Event[] = [event]
    try {
      while (queue.length > 0) {
        const next = queue.shift() as Event
        const [after, effects] = machine.transition(state, next)
        if (after === state && effects.length === 0) {
          throw new WorkfrontOAuthError(
            'invalid_transition',
            `Event ${next.type} does not apply in state ${state.status}`,
          )
        }
        state = after
        for (const effect of effects) {
          const produced = await execute(effect)
          if (produced) queue.push(produced)
        }
      }
    } catch (error) {
      if (holdsLock && state.status === 'refreshing') {
        await store.releaseLock(grantKey(state.grant.id), { owner }).catch(() => undefined)
      }
      throw error
    }
    return { state, redirect: redirectTo, error: lastError, sessionEnded }

    async function execute(effect: Effect): Promise<Event | undefined> {
      switch (effect.type) {
        case 'transaction.save':
          await stored(() =>
            store.set(txKey(effect.transaction.state), JSON.stringify(effect.transaction), {
              // Kept a little past its lifetime so that a late callback is told "expired", not "unknown".
              ttlMs: effect.ttlMs + TX_GRACE_MS,
            }),
          )
          return undefined
        case 'redirect':
          redirectTo = effect.url
          return undefined
        case 'token.exchange':
          try {
            const set = await tokens.exchange(
              effect.origin,
              effect.code,
              context.state ?? '',
              effect.codeVerifier,
            )
            return { type: 'token.succeeded', now: clock.now(), tokens: set, grantId: randomToken(random) }
          } catch (error) {
            lastError = error as WorkfrontOAuthError
            return { type: 'token.failed', error: lastError.toJSON() }
          }
        case 'token.refresh': {
          const key = grantKey((state as Extract<State, { status: 'refreshing' }>).grant.id)
          // Keep the lease while the token request runs, so that no other instance starts a second refresh.
          const keepAlive = setInterval(() => {
            store.extendLock(key, { owner, leaseMs }).catch(() => undefined)
          }, leaseMs / 3)
          try {
            const set = await tokens.refresh(effect.origin, effect.refreshToken)
            return { type: 'token.succeeded', now: clock.now(), tokens: set, grantId: '' }
          } catch (error) {
            lastError = error as WorkfrontOAuthError
            return { type: 'token.failed', error: lastError.toJSON() }
          } finally {
            clearInterval(keepAlive)
          }
        }
        case 'grant.save': {
          const result = await stored(() =>
            store.compareAndSet(grantKey(effect.grant.id), JSON.stringify(effect.grant), {
              expectedVersion: effect.expectedVersion,
              ...(grantTtlMs === null ? {} : { ttlMs: grantTtlMs }),
            }),
          )
          if (result.ok) return { type: 'grant.saved', version: result.version }
          const current = result.current
            ? { grant: JSON.parse(result.current.value) as Grant, version: result.current.version }
            : null
          return { type: 'grant.conflict', now: clock.now(), current }
        }
        case 'grant.reread':
          return {
            type: 'grant.loaded',
            now: clock.now(),
            grantId: effect.grantId,
            current: await loadGrant(effect.grantId),
          }
        case 'lock.acquire': {
          const key = grantKey(effect.grantId)
          if (await stored(() => store.acquireLock(key, { owner, leaseMs }))) {
            holdsLock = true
            // Re-read under the lock: another instance may have refreshed while we were deciding to.
            return { type: 'lock.acquired', now: clock.now(), current: await loadGrant(effect.grantId) }
          }
          const remaining = lockDeadline - clock.now()
          if (remaining <= 0 || ++lockRounds > MAX_LOCK_ROUNDS) return { type: 'lock.timeout' }
          await waitForUnlock(key, Math.min(remaining, leaseMs))
          return {
            type: 'grant.loaded',
            now: clock.now(),
            grantId: effect.grantId,
            current: await loadGrant(effect.grantId),
          }
        }
        case 'lock.release':
          holdsLock = false
          await store.releaseLock(grantKey(effect.grantId), { owner }).catch(() => undefined)
          return undefined
        case 'session.end':
          sessionEnded = await endSession(effect.origin, effect.accessToken)
          return undefined
        case 'grant.delete':
          await stored(() => store.delete(grantKey(effect.grantId)))
          return undefined
        default:
          return assertNeverEffect(effect)
      }
    }
  }

  let pollRound = 0
  async function waitForUnlock(key: string, timeoutMs: number): Promise<void> {
    if (store.waitForUnlock) {
      await stored(() =>
        (store.waitForUnlock as NonNullable<StoragePort['waitForUnlock']>)(key, { timeoutMs }),
      )
      return
    }
    // No wake-up channel: poll with a small jittered delay.
    pollRound = (pollRound + 1) % 1_000
    const delay = Math.min(timeoutMs, 25 + (random.bytes(1)[0] as number) + (pollRound % 4) * 25)
    await new Promise((resolve) => setTimeout(resolve, delay))
  }

  function settled(result: { state: State; error?: WorkfrontOAuthError }): never {
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

  const inflight = new Map<string, Promise<AccessToken>>()
  /**
   * The latest refresh this process made, per grant: callers whose request failed with the token it
   * replaced (their 401 arrived after the refresh finished) get the new one without another storage read.
   */
  const recent = new Map<string, { replaced: string; token: AccessToken; at: number }>()

  /** The machine's view of a stored grant: `authorized`, or `reauthorizationRequired` when it is gone. */
  function loaded(grantId: string, current: StoredGrant | null): State {
    return machine.transition(initialState(), { type: 'grant.loaded', now: clock.now(), grantId, current })[0]
  }

  async function getAccessToken(
    grantId: string,
    opts: { rejectedAccessToken?: string } = {},
  ): Promise<AccessToken> {
    const joined = inflight.get(grantId)
    if (joined !== undefined) return joined
    const last = recent.get(grantId)
    if (last && last.replaced === opts.rejectedAccessToken && clock.now() - last.at < RECENT_REFRESH_MS) {
      return last.token
    }
    const state = loaded(grantId, await loadGrant(grantId))
    const event: Event = {
      type: 'access.requested',
      now: clock.now(),
      rejectedAccessToken: opts.rejectedAccessToken ?? null,
    }
    const [next, effects] = machine.transition(state, event)
    if (effects.length === 0) {
      if (next.status === 'authorized') return accessTokenOf(next.grant)
      settled({ state: next })
    }
    // A refresh is needed: one per grant in this process; concurrent callers join it.
    const again = inflight.get(grantId)
    if (again !== undefined) return again
    const replaced = (state as Extract<State, { status: 'authorized' }>).grant.accessToken
    const refresh = drive(state, event)
      .then((result) => {
        if (result.state.status !== 'authorized') return settled(result)
        const token = accessTokenOf(result.state.grant)
        remember(grantId, { replaced, token, at: clock.now() })
        return token
      })
      .finally(() => inflight.delete(grantId))
    inflight.set(grantId, refresh)
    return refresh
  }

  function remember(grantId: string, entry: { replaced: string; token: AccessToken; at: number }): void {
    recent.delete(grantId)
    // Bounded: the oldest entries (Map keeps insertion order) go first.
    if (recent.size >= MAX_RECENT_REFRESHES) recent.delete(recent.keys().next().value as string)
    recent.set(grantId, entry)
  }

  function accessTokenOf(grant: Grant): AccessToken {
    return {
      grantId: grant.id,
      origin: grant.origin,
      accessToken: grant.accessToken,
      tokenType: grant.tokenType,
    }
  }

  async function endSession(origin: string, accessToken: string): Promise<boolean> {
    try {
      const response = await sendWithDeadline(
        http,
        `${origin}/attask/api/${apiVersion}/logout`,
        { method: 'GET', headers: { sessionID: accessToken } },
        apiTimeoutMs,
        () => new WorkfrontOAuthError('api_unreachable', 'Workfront did not answer the logout'),
        async (r) => {
          await r.body?.cancel()
          return r
        },
      )
      return response.ok
    } catch {
      return false
    }
  }

  function apiURL(origin: string, path: string): string {
    const relative = path.startsWith('/') ? path.slice(1) : path
    const pathname = relative.split(/[?#]/, 1)[0] as string
    if (
      relative === '' ||
      relative.startsWith('/') ||
      /^[a-z][a-z0-9+.-]*:/i.test(relative) ||
      relative.includes('\\') ||
      hasControlCharacters(relative) ||
      pathname
        .split('/')
        .some((segment) => segment === '..' || segment === '.' || /%2e|%2f|%5c/i.test(segment))
    ) {
      throw new WorkfrontOAuthError(
        'invalid_path',
        'API paths are relative to /attask/api/<version>/ and stay under it',
      )
    }
    return `${origin}/attask/api/${apiVersion}/${relative}`
  }

  async function callAPI(token: AccessToken, path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.set('sessionID', token.accessToken)
    if (!headers.has('accept')) headers.set('accept', 'application/json')
    try {
      const response = await sendWithDeadline(
        http,
        apiURL(token.origin, path),
        { ...init, headers },
        apiTimeoutMs,
        () => new WorkfrontOAuthError('api_unreachable', `Workfront did not answer in ${apiTimeoutMs} ms`),
        async (r) => r,
      )
      if (isRedirect(response)) {
        throw new WorkfrontOAuthError(
          'unexpected_response',
          'The Workfront API answered with a redirect, which is not followed',
          {
            status: response.status,
          },
        )
      }
      return response
    } catch (error) {
      if (isWorkfrontOAuthError(error)) throw error
      throw new WorkfrontOAuthError('api_unreachable', 'The Workfront API could not be reached', {
        cause: safeCause(error),
      })
    }
  }

  return {
    machine,
    apiVersion,

    async startLogin(opts = {}) {
      let origin: string | null = null
      if (opts.tenant !== undefined && opts.tenant !== '') {
        if (machine.config.fixedOrigin !== null) {
          // User input, not configuration: a 400, not a server error.
          throw new WorkfrontOAuthError(
            'invalid_tenant',
            'This app signs in to one Workfront org and takes no other',
          )
        }
        const tenant = parseTenantInput(opts.tenant, allowedHosts)
        if (!tenant.ok) throw tenant.error
        origin = tenant.origin
      }
      const state = randomToken(random)
      const pkce = machine.config.pkce ? await createPKCE(random) : null
      const result = await drive(
        initialState(),
        {
          type: 'login.start',
          now: clock.now(),
          state,
          codeVerifier: pkce?.verifier ?? null,
          codeChallenge: pkce?.challenge ?? null,
          origin,
          returnTo: opts.returnTo ?? '/',
          browserBinding: opts.browserBinding ? await sha256(opts.browserBinding) : null,
        },
        { state },
      )
      if (result.state.status !== 'awaitingCallback' || !result.redirect) settled(result)
      return { url: result.redirect, state }
    },

    async handleCallback(input, opts = {}) {
      const params = toCallbackParams(input)
      const browserBinding = opts.browserBinding ? await sha256(opts.browserBinding) : null
      const key = params.state !== null && params.state.length <= 256 ? txKey(params.state) : null
      // Look before taking: a callback from another browser must not use up the real user's sign-in.
      let raw = key === null ? null : await stored(() => store.get(key))
      let transaction = raw === null ? null : (JSON.parse(raw) as LoginTransaction)
      if (
        key !== null &&
        transaction !== null &&
        [null, browserBinding].includes(transaction.browserBinding)
      ) {
        raw = await stored(() => store.take(key))
        transaction = raw === null ? null : (JSON.parse(raw) as LoginTransaction)
      }
      const start: State = transaction ? { status: 'awaitingCallback', transaction } : initialState()
      const result = await drive(
        start,
        {
          type: 'callback.received',
          now: clock.now(),
          params,
          browserBinding,
        },
        { state: params.state ?? '' },
      )
      if (result.state.status !== 'authorized') settled(result)
      return { grant: grantInfo(result.state.grant), returnTo: result.state.returnTo ?? '/' }
    },

    getAccessToken,

    async getGrant(grantId) {
      const current = await loadGrant(grantId)
      return current ? grantInfo(current.grant) : null
    },

    async fetch(grantId, path, init = {}) {
      const replayable =
        init.body === undefined || init.body === null || !(init.body instanceof ReadableStream)
      const token = await getAccessToken(grantId)
      let response = await callAPI(token, path, init)
      if (await sessionRejected(response)) {
        if (!replayable) return response
        const fresh = await getAccessToken(grantId, { rejectedAccessToken: token.accessToken })
        response = await callAPI(fresh, path, init)
      }
      if (response.status === 429) {
        await response.body?.cancel()
        throw new WorkfrontOAuthError('rate_limited', 'Workfront is rate limiting this client', {
          status: 429,
          retryAfter: parseRetryAfter(response.headers.get('retry-after'), clock.now()),
        })
      }
      return response

      async function sessionRejected(r: Response): Promise<boolean> {
        if (r.status === 401) return true
        if (r.status !== 200 || !(r.headers.get('content-type') ?? '').includes('json')) return false
        // Workfront sometimes reports an expired session with HTTP 200 and an error envelope. A cheap look
        // at the start of the body decides whether it is worth parsing.
        const text = await r.text()
        response = new Response(text, { status: r.status, statusText: r.statusText, headers: r.headers })
        if (!/^\s*\{\s*"(?:data"\s*:\s*\{\s*")?error"/.test(text.slice(0, 64))) return false
        try {
          const body = JSON.parse(text) as {
            error?: { class?: unknown }
            data?: { error?: { class?: unknown } }
          }
          const errorClass = body.error?.class ?? body.data?.error?.class
          return typeof errorClass === 'string' && errorClass.endsWith('AuthenticationException')
        } catch {
          return false
        }
      }
    },

    async logout(grantId) {
      recent.delete(grantId)
      const state = loaded(grantId, await loadGrant(grantId))
      if (state.status !== 'authorized') return { sessionEnded: false }
      const result = await drive(state, { type: 'logout.requested' })
      return { sessionEnded: result.sessionEnded === true }
    },
  }
}

export function grantInfo(grant: Grant): GrantInfo {
  return {
    id: grant.id,
    origin: grant.origin,
    tokenType: grant.tokenType,
    wid: grant.wid,
    createdAt: grant.createdAt,
    obtainedAt: grant.obtainedAt,
    expiresAt: grant.expiresAt,
    refreshCount: grant.refreshCount,
  }
}

export function toCallbackParams(input: URL | URLSearchParams | CallbackParams): CallbackParams {
  if (!(input instanceof URL) && !(input instanceof URLSearchParams)) return input
  const search = input instanceof URL ? input.searchParams : input
  // A parameter given twice is ambiguous (and a classic injection): treat it as absent.
  const one = (name: string): string | null => {
    const all = search.getAll(name)
    return all.length === 1 ? (all[0] as string) : null
  }
  return {
    code: one('code'),
    state: one('state'),
    domain: one('domain'),
    lane: one('lane'),
    error: one('error'),
    errorDescription: one('error_description'),
  }
}

function assertNeverEffect(effect: never): never {
  throw new WorkfrontOAuthError('invalid_transition', `Unknown effect ${(effect as { type: string }).type}`)
}
