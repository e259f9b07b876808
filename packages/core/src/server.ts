/**
 * @module `@workfront-oauth/core/server`: Workfront's Machine to Machine flow for server jobs (nightly
 * syncs, webhooks, reports) acting as one user, no browser: `createWorkfrontServerAuth`. Each session comes
 * from an RS256 JWT exchanged at the org's `/integrations/oauth2/api/v1/jwt/exchange`; it is kept in the
 * storage port and renewed by a new exchange when it is known to expire or Workfront rejects it — once per
 * expiry across every process, through the same machine, lock, re-read and fenced write as the code flow's
 * refresh. Stores, errors and the API client come from the main entry point.
 * @see WORKFRONT.md "Machine to Machine: the JWT flow"
 */
import type { WorkfrontClient } from './api.ts'
import { createWorkfrontClient } from './api.ts'
import { parseAPIVersion } from './api-versions.ts'
import { assemble, sharedPorts } from './assembly.ts'
import { DEFAULT_API_VERSION } from './client.ts'
import type { AccessToken } from './driver/access-tokens.ts'
import type { APILimits } from './driver/api-calls.ts'
import type { GrantInfo } from './driver/records.ts'
import { createRecords, grantInfo } from './driver/records.ts'
import { base64url, utf8 } from './encoding.ts'
import { WorkfrontOAuthError } from './errors.ts'
import type { Instrumentation } from './instrumentation.ts'
import { hostOf } from './instrumentation.ts'
import type { JWTPrivateKey } from './jwt.ts'
import { createJWTExchange } from './jwt.ts'
import { createMachine, initialState } from './machine.ts'
import type { Clock, HTTPClient, Logger, RandomSource, StoragePort } from './ports.ts'
import { parseBaseURL } from './tenant.ts'

export type { JWTPrivateKey, WebCryptoKey } from './jwt.ts'
export { JWT_EXCHANGE_PATH } from './jwt.ts'

/** Options of `createWorkfrontServerAuth()`: the Machine to Machine app and the key it registered. */
export interface WorkfrontServerAuthOptions {
  /** The Machine to Machine app's client ID. */
  clientId: string
  /** One of the app's client secrets. */
  clientSecret: string
  /** The Customer ID from the app's details: the JWT's `iss`. */
  customerId: string
  /** The ID of the user who registered the public key: the JWT's `sub`, the user the job acts as. */
  userId: string
  /** The private half of the registered key: PKCS#8 PEM (`BEGIN PRIVATE KEY`) or an RS256 `CryptoKey`. */
  privateKey: JWTPrivateKey
  /** The org's origin, e.g. `https://acme.my.workfront.com`: the JWT, the secret and every call go there only. */
  baseUrl: string
  /** Where the session and the exchange lock live; share it between the job's processes. */
  store: StoragePort
  /** Default: global `fetch`. */
  http?: HTTPClient
  /** Time source. Default: the system clock. */
  clock?: Clock
  /** Randomness for JWT ids and lock tokens. Default: Web Crypto. */
  random?: RandomSource
  /** `exp` of each JWT, seconds from its signing. Default 300 (Workfront recommends a few minutes). */
  jwtLifetimeSeconds?: number
  /** Workfront API version, e.g. `v21.0`, or `'default'`. */
  apiVersion?: string
  /** Client-side limits on API calls (concurrency, retries on 429). */
  apiLimits?: APILimits
  /** Where warnings go. Default: `console`, without secrets. */
  logger?: Logger
  /** Deadline of one exchange. Default 10 s. */
  tokenTimeoutMs?: number
  /** Deadline of one API request (until the response headers). Default 30 s. */
  apiTimeoutMs?: number
  /**
   * Renew this long before a known expiry, and at most a quarter of the session's lifetime before it (a
   * 30-second session is renewed in its last 7.5 s, not on every call). Default 60 s.
   */
  refreshSkewMs?: number
  /** Lease of the exchange lock; extended while the exchange runs. Default 15 s. */
  lockLeaseMs?: number
  /** How long a request waits for another instance's exchange. Default 30 s. */
  lockWaitMs?: number
  /** Storage TTL of the session record, renewed on every exchange. Default 24 hours. */
  sessionTtlMs?: number
  /** Told of every operation and its steps, for traces and metrics. Default: none, at no cost. */
  instrumentation?: Instrumentation
}

/** Workfront sessions for a server job acting as one user (the JWT flow), exchanged once per expiry. */
export interface WorkfrontServerAuth {
  /** The storage id of this job's session (derived from the org, app, customer and user). */
  readonly grantId: string
  /** The Workfront API version `fetch` calls. */
  readonly apiVersion: string
  /** The session to use, exchanging a new JWT first when there is none, it expired, or it was rejected. */
  getAccessToken(options?: { rejectedAccessToken?: string }): Promise<AccessToken>
  /** Calls `/attask/api/<version>/<path>`; a rejected session is renewed and the call sent once more. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** `search`, `get`, `count`, `session` over `fetch`. */
  readonly client: WorkfrontClient
  /** What is stored about the session (no tokens), or null before the first exchange. */
  getSession(): Promise<GrantInfo | null>
  /** Ends the Workfront session (best effort) and deletes the stored one. Nothing else is revoked. */
  logout(): Promise<{ sessionEnded: boolean }>
}

/**
 * Creates the Machine to Machine (JWT) client: signs an RS256 JWT and exchanges it for a Workfront session
 * when the current one is unknown or rejected, once across concurrent callers.
 */
export function createWorkfrontServerAuth(options: WorkfrontServerAuthOptions): WorkfrontServerAuth {
  for (const name of ['clientId', 'clientSecret', 'customerId', 'userId'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') {
      throw new WorkfrontOAuthError('invalid_options', `${name} is required`)
    }
  }
  if (!options.privateKey) throw new WorkfrontOAuthError('invalid_options', 'privateKey is required')
  const lifetime = options.jwtLifetimeSeconds ?? 300
  if (!Number.isSafeInteger(lifetime) || lifetime < 30 || lifetime > 3600) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'jwtLifetimeSeconds must be a whole number from 30 to 3600',
    )
  }
  const origin = parseBaseURL(options.baseUrl)
  const apiVersion = parseAPIVersion(options.apiVersion ?? DEFAULT_API_VERSION)
  const ports = sharedPorts(options, apiVersion)
  const { clock } = ports
  const machine = createMachine({
    clientId: options.clientId,
    // The code flow's settings: a server session never logs in through a browser.
    redirectUri: origin,
    fixedOrigin: origin,
    entryOrigin: null,
    allowedHosts: [],
    pkce: false,
    transactionTtlMs: 0,
    refreshSkewMs: options.refreshSkewMs ?? 60_000,
    user: null,
  })
  const records = createRecords(ports.store, { grantTtlMs: options.sessionTtlMs ?? 24 * 3_600_000 })
  // One id per org, app, customer and user, the same in every process: they share one session.
  const grantId = `jwt.${base64url(utf8(JSON.stringify([origin, options.clientId, options.customerId, options.userId])))}`
  const { access, api, logout, observe } = assemble(options, ports, {
    machine,
    records,
    apiVersion,
    grants: {
      jwt: createJWTExchange({
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        customerId: options.customerId,
        userId: options.userId,
        privateKey: options.privateKey,
        lifetimeSeconds: lifetime,
        http: ports.http,
        timeoutMs: ports.tokenTimeoutMs,
        clock,
        random: ports.random,
        logger: ports.logger,
      }),
    },
    begin: (id, current, rejectedAccessToken) => [
      initialState(),
      { type: 'session.requested', now: clock.now(), grantId: id, origin, current, rejectedAccessToken },
    ],
    flow: 'jwt',
    tenantHost: hostOf(origin),
  })
  const observedFetch = (path: string, init?: RequestInit): Promise<Response> =>
    observe('api_call', (o) => api.fetch(grantId, path, init, o), (init?.method ?? 'GET').toUpperCase())
  return {
    grantId,
    apiVersion,
    getAccessToken: (opts) =>
      observe('access_token', (o) => access.get(grantId, { ...opts, ...(o ? { observer: o } : {}) })),
    fetch: observedFetch,
    client: createWorkfrontClient({ fetch: (_id, path, init) => observedFetch(path, init) }, grantId),
    async getSession() {
      const current = await records.loadGrant(grantId)
      return current ? grantInfo(current.grant) : null
    },
    logout: () => observe('logout', (o) => logout(grantId, o)),
  }
}
