import type { Hono } from 'hono'

/** A source of time in epoch milliseconds. */
export interface MockClock {
  now(): number
}

/** The mock's own clock: `now()` is the base clock plus an offset that tests move. */
export interface ControllableClock extends MockClock {
  /** Moves time forward by `ms` (≥ 0). */
  advance(ms: number): void
  /** Jumps to `ms`; with the default real-time base, time keeps running from there. */
  set(ms: number): void
}

/**
 * A custom OAuth2 application as a Workfront admin registers it.
 * @see WORKFRONT.md "The flow, step by step" §1
 */
export interface MockApp {
  clientId: string
  /** Display name on the consent page. Defaults to the client id. */
  name?: string
  /** Several secrets may be active at once. Absent or empty: a public (PKCE) app. */
  clientSecrets?: string[]
  /** Compared to `redirect_uri` by exact string match. */
  redirectUris: string[]
  /** `web` authenticates with a secret (PKCE optional); `spa` is public and must use PKCE S256. */
  type: 'web' | 'spa'
  /** Refresh token rotation (an admin setting per app in Workfront). Default `true`. */
  rotation?: boolean
  /** Refresh tokens stop working this long after the grant was first issued. Default: never. */
  refreshTokenAbsoluteTtlMs?: number
  /** Refresh tokens stop working when unused for this long. Default: never. */
  refreshTokenIdleTtlMs?: number
}

export interface MockUser {
  /** Workfront object ID (32 hex characters in real Workfront; any string here). */
  id: string
  username: string
  password: string
  name: string
  email: string
}

/** A project as the API returns it (objCode `PROJ`). */
export interface MockProject {
  ID: string
  name: string
  /** Workfront status code: `CUR`, `PLN`, `CPL`, `ONH`, `DED`… */
  status: string
  /** Workfront's date format, e.g. `2026-06-30T17:00:00:000-0400`. */
  plannedCompletionDate: string
  ownerID: string
  percentComplete: number
}

/**
 * The token endpoint's success body, exactly as Workfront sends it.
 * @see WORKFRONT.md "The flow, step by step" §6
 */
export interface TokenResponse {
  token_type: 'sessionID'
  access_token: string
  refresh_token: string
  expires_in: number
  wid: string
}

export interface WorkfrontMockOptions {
  /** The org's domain label. Default `acme`. */
  domain?: string
  /** The lane label. Default `my`, so the host is `acme.my.workfront.com`. */
  lane?: string
  /** Registered apps. Default: {@link DEMO_WEB_APP} and {@link DEMO_SPA_APP}. */
  apps?: MockApp[]
  /** Users who can sign in. Default: a deterministic seed including {@link DEMO_USER}. */
  users?: MockUser[]
  /** Projects served by `/proj`. Default: a deterministic seed of 12 projects. */
  projects?: MockProject[]
  /** `expires_in` of token responses. Default `0`, as Workfront sends. */
  expiresIn?: number
  /** An API session ends after this much inactivity. Default 8 hours. */
  sessionIdleMs?: number
  /** Authorization code lifetime. Default 120 000 (2 minutes, per Workfront's doc). */
  codeTtlMs?: number
  /** Token endpoint error body. Default `workfront`: `{statusCode, error: true, type, message}`. */
  errorShape?: 'workfront' | 'rfc6749'
  /** Base clock. Default: real time. The mock wraps it in a {@link ControllableClock}. */
  clock?: MockClock
  /** Skip the login and consent pages: authorize redirects at once with a code for this user. */
  autoConsent?: { username: string }
  /** Expose the knobs over HTTP under `path` (default `/__mock`). Default off. */
  admin?: { enabled: boolean; path?: string }
  /** Supported API versions. Default `v15.0` … `v22.0`; older `vN.0` get 410 Gone. */
  apiVersions?: string[]
  /** When set, API requests above this many in flight get 429 with `Retry-After`. */
  maxConcurrentApiRequests?: number
  /** Print the demo credentials on the login page (a dev tool nicety). Default `false`. */
  showDemoCredentials?: boolean
}

export interface MockLatency {
  token?: number
  api?: number
  authorize?: number
}

export interface MockFailure {
  endpoint: 'token' | 'api'
  /**
   * - `status500`: the request is not applied and gets a 500.
   * - `reset`: the request is not applied and the connection drops (in-process `fetch` rejects with a
   *   `TypeError`; the Node server destroys the socket).
   * - `dropAfterRotate`: a successful refresh is fully applied (old refresh token disabled, new one
   *   issued) and then the connection drops as for `reset`. Token endpoint only.
   */
  kind: 'status500' | 'reset' | 'dropAfterRotate'
  /** How many matching requests fail. Default 1. */
  times?: number
  /** Token endpoint only: fail only requests of this grant type. */
  grantType?: 'authorization_code' | 'refresh_token'
}

export interface MockCounters {
  tokenCalls: { authorization_code: number; refresh_token: number; other: number }
  /** Uses of a refresh token that rotation had already disabled. */
  refreshReuses: number
  /** Uses of an authorization code that had already been exchanged. */
  codeReuses: number
  /** API responses by HTTP status, e.g. `{ '200': 3, '401': 1 }`. */
  apiCalls: Record<string, number>
}

export interface WorkfrontMock {
  /** The Hono app: mount it in another app with `parent.route('/', mock.app)`. */
  app: Hono
  /** `app.fetch` as an HTTP port: any host works, only the path matters. */
  fetch(request: Request): Promise<Response>
  /** The tenant host, e.g. `acme.my.workfront.com`. */
  host: string
  clock: ControllableClock
  expireAllSessions(): void
  setLatency(latency: MockLatency): void
  injectFailure(failure: MockFailure): void
  counters(): MockCounters
  resetCounters(): void
  /** As if the code flow had completed for this user and client. */
  issueGrant(options: { clientId: string; username: string }): TokenResponse
  /** Forgets every code, grant, session, knob and counter, and zeroes the clock offset. */
  reset(): void
}
