/**
 * `createWorkfrontOAuth`: validates the options and builds the code flow's parts — the machine
 * (`machine.ts`) for one org or many, the near cache, the token endpoint and login (`driver/login.ts`) — on
 * the assembly it shares with the server client (`assembly.ts`: driver, refresh lock, access tokens, API
 * calls, sign-out, spans).
 */
import { parseAPIVersion } from './api-versions.ts'
import { assemble, sharedPorts } from './assembly.ts'
import type { AccessToken } from './driver/access-tokens.ts'
import type { APILimits } from './driver/api-calls.ts'
import type { CallbackResult, LoginStart, StartLoginOptions } from './driver/login.ts'
import { createLogin } from './driver/login.ts'
import type { NearCacheOptions } from './driver/near-cache.ts'
import { createNearCache } from './driver/near-cache.ts'
import { backgroundWork, durableRecords } from './driver/pending.ts'
import type { GrantInfo } from './driver/records.ts'
import { createRecords, grantInfo } from './driver/records.ts'
import { WorkfrontOAuthError } from './errors.ts'
import type { Instrumentation } from './instrumentation.ts'
import { errorCodeOf, hostOf } from './instrumentation.ts'
import type { CallbackParams, StoredGrant } from './machine.ts'
import { createMachine } from './machine.ts'
import type { Clock, HTTPClient, Logger, RandomSource, StoragePort } from './ports.ts'
import type { ClientAuth } from './protocol.ts'
import { createTokenClient } from './protocol.ts'
import { parseBaseURL, WORKFRONT_HOST_PATTERNS } from './tenant.ts'

export { toCallbackParams } from './driver/login.ts'
export { grantInfo } from './driver/records.ts'
export type {
  AccessToken,
  APILimits,
  CallbackResult,
  GrantInfo,
  LoginStart,
  NearCacheOptions,
  StartLoginOptions,
}

/** Options of `createWorkfrontOAuth()`; the README's options table says what each does and its default. */
export interface WorkfrontOAuthOptions {
  /** The OAuth2 app's client ID (Workfront Setup → OAuth2 applications). */
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
  /**
   * Accept a callback that carries no `state` (Workfront's page does not list it) when the browser-binding
   * cookie names exactly one login in progress of that browser. Turns PKCE on. Default false. See the
   * README, "A callback without state", for what it costs.
   */
  allowCallbackWithoutState?: boolean
  /**
   * Where grants, login transactions and locks live: `memoryStore()` for one process, a shared store (Redis,
   * Durable Objects) for several.
   */
  store: StoragePort
  /** Default: global `fetch`. */
  http?: HTTPClient
  /** Time source. Default: the system clock (tests pass a fake one). */
  clock?: Clock
  /** Randomness for states, PKCE and lock tokens. Default: Web Crypto. */
  random?: RandomSource
  /**
   * Workfront API version, e.g. `v21.0`, or `'default'` for the version-less Default API (Workfront routes
   * it to its newest version). A deprecated or removed version is reported once through `logger`.
   */
  apiVersion?: string
  /** Workfront's API limits: per-tenant concurrency cap and retries of 429s. Default: neither. */
  apiLimits?: APILimits
  /**
   * Where operator-only problems are reported (the app's credentials refused, a deprecated API version).
   * Default `console`.
   */
  logger?: Logger
  /** Deadline of one token request. Default 10 s. */
  tokenTimeoutMs?: number
  /** Deadline of one API request (until the response headers). Default 30 s. */
  apiTimeoutMs?: number
  /** Lifetime of a login transaction. Default 10 minutes. */
  transactionTtlMs?: number
  /**
   * Refresh this long before a known expiry, and at most a quarter of the token's lifetime before it (a
   * 30-second session is refreshed in its last 7.5 s, not on every call). Default 60 s.
   */
  refreshSkewMs?: number
  /** Lease of the refresh lock; extended while a token request runs. Default 15 s. */
  lockLeaseMs?: number
  /** How long a request waits for another instance's refresh. Default 30 s. */
  lockWaitMs?: number
  /**
   * How long a refresh that a lock holder started counts as in flight, even after its lease ran out: until
   * then nobody sends the same refresh token again, and the holder's answer, however late, is what everyone
   * uses. Past it the holder is taken for dead. Default 2 minutes. See the README's "Refresh under
   * concurrency".
   */
  refreshClaimMs?: number
  /** Storage TTL of a grant, renewed on every write. Default 90 days; `null` keeps grants forever. */
  grantTtlMs?: number | null
  /**
   * The near cache of grants in this process (see the README): bounds on its size and on the age of what
   * it serves. Default `{ maxEntries: 10_000, maxAgeMs: 5_000 }`; `false` reads the store on every request.
   */
  nearCache?: NearCacheOptions | false
  /**
   * What a sign-in reads of the user and keeps with the grant (`GrantInfo.user`), so that knowing who is
   * signed in costs no API call per request: `'profile'` (the default: `GET session`, then `GET user/<id>`
   * for the name, username and email address), `'id'` (`GET session` only), or `false` (nothing). A sign-in
   * whose user cannot be read fails with the API's error, and the session it opened is ended.
   *
   * After each refresh, once the new tokens are stored, the user is read again with the new session (the
   * same calls), in the background: nobody waits for it, and it is part of `pendingWrites()`. A changed user
   * (renamed, new email address) is written, fenced by the version the refresh wrote, so a newer grant is
   * never overwritten (it loses silently); a failed read is logged unless the grant was signed out or
   * refreshed again meanwhile, and the grant keeps the user it had. A read that names another user ID ends
   * the grant (deleted, its Workfront session ended, logged as an error, reported as grant lost
   * `user_changed`): the refresh token now answers for someone else, whose identity is never put in place
   * of the one who signed in; the user must sign in again.
   */
  user?: 'id' | 'profile' | false
  /**
   * Told of every operation and its steps, for traces and metrics (`@workfront-oauth/opentelemetry`).
   * Default: none, at no cost.
   */
  instrumentation?: Instrumentation
}

/** The Workfront API version used when `apiVersion` is not given. */
export const DEFAULT_API_VERSION = 'v21.0'

/**
 * The OAuth client of one Workfront app: sign-in (`startLogin`, `handleCallback`), the grant's session
 * (`getAccessToken`, `fetch`), and sign-out (`logout`). Made by `createWorkfrontOAuth()`.
 */
export interface WorkfrontOAuth {
  /** The Workfront API version `fetch` calls (`apiVersion` of the options, or {@link DEFAULT_API_VERSION}). */
  readonly apiVersion: string
  /** Begins a sign-in: a stored single-use transaction (state, PKCE) and the URL to send the browser to. */
  startLogin(options?: StartLoginOptions): Promise<LoginStart>
  /**
   * Completes a sign-in from the callback's query: checks the state (and the browser binding), exchanges the
   * code, reads the user, stores the grant.
   */
  handleCallback(
    input: URL | URLSearchParams | CallbackParams,
    options?: { browserBinding?: string | null },
  ): Promise<CallbackResult>
  /** The grant's current access token, refreshed first when it is known to be expired or was rejected. */
  getAccessToken(grantId: string, options?: { rejectedAccessToken?: string }): Promise<AccessToken>
  /**
   * The grant as the app may show it (no tokens), or null when it is gone. With `cached`, the near cache
   * answers while it holds the grant (at most `nearCache.maxAgeMs` old, and told of changes by stores that
   * watch them): the cheap check a protected route makes on every request.
   */
  getGrant(grantId: string, options?: { cached?: boolean }): Promise<GrantInfo | null>
  /** Calls `/attask/api/<version>/<path>` with the grant's session; refreshes and retries once on expiry. */
  fetch(grantId: string, path: string, init?: RequestInit): Promise<Response>
  /** Ends the Workfront session (best effort) and deletes the grant. */
  logout(grantId: string): Promise<{ sessionEnded: boolean }>
  /**
   * The writes this process still owes the store: rotated tokens it holds because the store refused them
   * after a refresh (see the README, "Rotated tokens are never dropped"), written in the background, and the
   * user read again after a refresh (see `user`). Returns a promise that settles, and never rejects, once
   * each of them has been written, lost to another version or given up, and the refresh lock kept for it
   * released; `null` when nothing is pending (the usual case between refreshes).
   *
   * On Cloudflare Workers, pass it to `ctx.waitUntil()` after each request, or the isolate may be stopped
   * before the tokens are written (the Hono adapter does this itself); on Node the process lives on.
   */
  pendingWrites(): Promise<void> | null
}

/**
 * The `GrantInfo` of a stored grant, made once per stored version and frozen: the near cache hands the same
 * `StoredGrant` to every request until the grant changes, and each of them reads who is signed in.
 */
const infos = new WeakMap<StoredGrant, GrantInfo>()
function sharedInfo(stored: StoredGrant): GrantInfo {
  let info = infos.get(stored)
  if (info === undefined) {
    info = Object.freeze(grantInfo(stored.grant))
    infos.set(stored, info)
  }
  return info
}

/**
 * Each client's synchronous look at its near cache (internal: the web guard's fast lane, `peekGrant`). A
 * `WorkfrontOAuth` made elsewhere (a wrapper, a fake) has none, and its guard takes the awaited path.
 */
const peekers = new WeakMap<WorkfrontOAuth, (grantId: string) => GrantInfo | undefined>()

/** The grant as `oauth`'s near cache holds it now, without going to the store; undefined when it does not. */
export function peekGrant(oauth: WorkfrontOAuth, grantId: string): GrantInfo | undefined {
  return peekers.get(oauth)?.(grantId)
}

/**
 * Creates the OAuth client of a Workfront app: the authorization code and refresh token flows over the
 * given storage and HTTP ports, with refreshes coordinated across requests and processes.
 */
export function createWorkfrontOAuth(options: WorkfrontOAuthOptions): WorkfrontOAuth {
  const { clientSecret, clientAuth, apiVersion } = checkOptions(options)
  const ports = sharedPorts(options, apiVersion)
  const { clock, logger, instrumentation } = ports
  const machine = createMachine({
    clientId: options.clientId,
    redirectUri: options.redirectUri,
    fixedOrigin: options.baseUrl ? parseBaseURL(options.baseUrl) : null,
    entryOrigin: options.multiTenant?.entryUrl
      ? parseBaseURL(options.multiTenant.entryUrl, 'entryUrl')
      : null,
    allowedHosts: options.multiTenant?.allowedHosts ?? WORKFRONT_HOST_PATTERNS,
    // A state-less callback is bound to its login by PKCE alone: see `allowCallbackWithoutState`.
    pkce: clientSecret === null || options.pkce === true || options.allowCallbackWithoutState === true,
    transactionTtlMs: options.transactionTtlMs ?? 10 * 60_000,
    refreshSkewMs: options.refreshSkewMs ?? 60_000,
    user: options.user === false ? null : (options.user ?? 'profile'),
    ...(options.refreshClaimMs === undefined ? {} : { refreshClaimMs: options.refreshClaimMs }),
  })
  const records = durableRecords(
    createRecords(ports.store, {
      grantTtlMs: options.grantTtlMs === undefined ? 90 * 24 * 3_600_000 : options.grantTtlMs,
      nearCache: options.nearCache === false ? null : createNearCache({ ...options.nearCache, clock }),
    }),
    instrumentation ? { clock, logger, instrumentation } : { clock, logger },
  )
  const background = backgroundWork()
  const { drive, access, api, logout, observe } = assemble(options, ports, {
    machine,
    records,
    apiVersion,
    grants: {
      tokens: createTokenClient({
        clientId: options.clientId,
        clientSecret,
        clientAuth,
        redirectUri: options.redirectUri,
        http: ports.http,
        timeoutMs: ports.tokenTimeoutMs,
        clock,
        logger,
      }),
      background,
    },
    readsUser: true,
    flow: 'authorization_code',
    tenantHost: machine.config.fixedOrigin === null ? null : hostOf(machine.config.fixedOrigin),
  })
  const login = createLogin({
    machine,
    records,
    drive,
    clock,
    random: ports.random,
    allowCallbackWithoutState: options.allowCallbackWithoutState === true,
  })

  // A hit of the near cache: counted, not traced (a guard's session lookup on every request).
  const peek = (grantId: string): GrantInfo | undefined => {
    const peeked = records.peekGrant(grantId)
    if (peeked === undefined) return undefined
    instrumentation?.nearCacheHit?.()
    return sharedInfo(peeked)
  }
  const client: WorkfrontOAuth = {
    apiVersion,
    startLogin: login.startLogin,
    handleCallback: login.handleCallback,
    getAccessToken: access.get,
    async getGrant(grantId, opts = {}) {
      const current = await (opts.cached ? records.cachedGrant(grantId) : records.loadGrant(grantId))
      return current ? sharedInfo(current) : null
    },
    fetch: api.fetch,
    logout: (grantId) => logout(grantId),
    pendingWrites: background.settled,
  }
  const made: WorkfrontOAuth = instrumentation ? withSpans(client, instrumentation) : client
  peekers.set(made, peek)
  return made

  /** The same operations, each observed: one span per call, with the driver's steps inside. */
  function withSpans(client: WorkfrontOAuth, instrumentation: Instrumentation): WorkfrontOAuth {
    return {
      ...client,
      startLogin: (opts) => observe('login', (o) => login.startLogin(opts, o)),
      handleCallback: (input, opts) =>
        observe('callback', async (o) => {
          const result = await login.handleCallback(input, opts, o)
          o?.tenant(hostOf(result.grant.origin))
          return result
        }),
      getAccessToken: (grantId, opts) => {
        // The hot path of every authenticated request: a hit of the near cache is counted, not traced.
        const ready = opts?.rejectedAccessToken === undefined ? access.ready(grantId) : undefined
        if (ready !== undefined) {
          instrumentation.nearCacheHit?.()
          return Promise.resolve(ready)
        }
        return observe('access_token', async (o) => {
          const token = await access.get(grantId, { ...opts, ...(o ? { observer: o } : {}) })
          o?.tenant(hostOf(token.origin))
          return token
        })
      },
      fetch: (grantId, path, init) =>
        observe('api_call', (o) => api.fetch(grantId, path, init, o), (init?.method ?? 'GET').toUpperCase()),
      logout: (grantId) => observe('logout', (o) => logout(grantId, o)),
      getGrant: (grantId, opts = {}) => {
        const peeked = opts.cached ? peek(grantId) : undefined
        if (peeked !== undefined) return Promise.resolve(peeked)
        return observe('session', async (o) => {
          if (opts.cached) o?.nearCache(false)
          const end = o?.step({ kind: 'store', operation: 'grant.read' })
          let current: StoredGrant | null
          try {
            current = await records.loadGrant(grantId)
          } catch (error) {
            end?.({ error: errorCodeOf(error) })
            throw error
          }
          end?.({})
          if (current) o?.tenant(hostOf(current.grant.origin))
          return current ? sharedInfo(current) : null
        })
      },
    }
  }
}

/** Refuses options that cannot work, before anything runs; returns what the parts need from them. */
function checkOptions(options: WorkfrontOAuthOptions): {
  clientSecret: string | null
  clientAuth: ClientAuth
  apiVersion: string
} {
  const clientSecret = options.clientSecret ?? null
  if (!options.clientId) throw new WorkfrontOAuthError('invalid_options', 'clientId is required')
  if (clientSecret === '') throw new WorkfrontOAuthError('invalid_options', 'clientSecret must not be empty')
  if (options.pkce === false && clientSecret === null) {
    throw new WorkfrontOAuthError('invalid_options', 'A client without a secret must use PKCE')
  }
  if (options.pkce === false && options.allowCallbackWithoutState === true) {
    throw new WorkfrontOAuthError('invalid_options', 'allowCallbackWithoutState needs PKCE')
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
  const apiVersion = parseAPIVersion(options.apiVersion ?? DEFAULT_API_VERSION)
  return { clientSecret, clientAuth, apiVersion }
}
