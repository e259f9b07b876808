import type { Hono } from 'hono'

/** A source of time in epoch milliseconds. */
export interface MockClock {
  /** Milliseconds since the epoch. */
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
  /** The OAuth2 app's client ID. */
  clientId: string
  /** Display name on the consent page. Defaults to the client id. */
  name?: string
  /** Several secrets may be active at once (an admin adds and deletes them). Absent or empty: a public (PKCE) app. */
  clientSecrets?: string[]
  /** Compared to `redirect_uri` by exact string match. Not used by `m2m` apps (may be empty there). */
  redirectUris: string[]
  /**
   * `web` authenticates with a secret (PKCE optional); `spa` is public and must use PKCE S256; `m2m`
   * ("Machine to Machine") exchanges an RS256 JWT signed with a registered key, with a secret.
   */
  type: 'web' | 'spa' | 'm2m'
  /** `m2m` apps: the public keys an admin uploaded, each tied to the user who created it (the JWT's `sub`). */
  publicKeys?: MockPublicKey[]
  /** Refresh token rotation (an admin setting per app in Workfront). Default `true`. */
  rotation?: boolean
  /** Refresh tokens stop working this long after the grant was first issued. Default: never. */
  refreshTokenAbsoluteTtlMs?: number
  /** Refresh tokens stop working when unused for this long. Default: never. */
  refreshTokenIdleTtlMs?: number
}

/** A public key registered with a Machine to Machine app. */
export interface MockPublicKey {
  /**
   * What the admin uploads: the PEM certificate that Workfront's documented command makes
   * (`-----BEGIN CERTIFICATE-----`, `openssl req -x509 -sha256 -nodes -newkey rsa:2048 -keyout private.key
   * -out certificate_pub.crt`), or the bare RSA public key as SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
   */
  pem: string
  /** The Workfront user ID that created the key: the only `sub` this key may sign for. */
  userId: string
}

/** A Workfront user of the mock, with the password its login page accepts. */
export interface MockUser {
  /** Workfront object ID (32 hex characters in real Workfront; any string here). */
  id: string
  /** The login name the sign-in page takes. */
  username: string
  /** The password the sign-in page takes. */
  password: string
  /** The full name (`GET user/<id>`). */
  name: string
  /** The email address (`emailAddr`). */
  email: string
}

/** A project as the API returns it (objCode `PROJ`). */
export interface MockProject {
  /** The project's ID. */
  ID: string
  /** Its name. */
  name: string
  /** Workfront status code: `CUR`, `PLN`, `CPL`, `ONH`, `DED`… */
  status: string
  /** Workfront's date format, e.g. `2026-06-30T17:00:00:000-0400`. */
  plannedCompletionDate: string
  /** The ID of the user who owns it. */
  ownerID: string
  /** 0 to 100. */
  percentComplete: number
}

/**
 * The token endpoint's success body, exactly as Workfront sends it. `token_type` is `Bearer` only with
 * `tokenResponseShape: 'pkce-page'`.
 * @see WORKFRONT.md "The flow, step by step" §6
 */
export interface TokenResponse {
  /** `sessionID`, as Workfront sends it (`Bearer` only for the PKCE page shape). */
  token_type: 'sessionID' | 'Bearer'
  /** The session. */
  access_token: string
  /** The refresh token, rotated on each refresh when the app rotates. */
  refresh_token: string
  /** The session's lifetime in seconds. */
  expires_in: number
  /** Workfront's `wid`. */
  wid: string
}

/** The JWT exchange's success body: the token response without a refresh token (WORKFRONT.md [inf]). */
export type JWTExchangeResponse = Omit<TokenResponse, 'refresh_token'>

/** Options of `createWorkfrontMock()`; the README's options table says what each does and its default. */
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
  /**
   * `expires_in` of token responses. Default `0`, as Workfront sends (`3600` with
   * `tokenResponseShape: 'pkce-page'`). A positive value is also enforced: the session ends then.
   */
  expiresIn?: number
  /**
   * `sessionID` (default): the code-flow page's response. `pkce-page`: the PKCE page's example response,
   * `token_type: "Bearer"` and `expires_in: 3600`.
   */
  tokenResponseShape?: 'sessionID' | 'pkce-page'
  /** The org's Customer ID: the `iss` of JWTs. Default a fixed 32-hex value ({@link DEMO_CUSTOMER_ID}). */
  customerId?: string
  /** A JWT whose `exp` is further than this in the future is refused. Default 1 hour (a guess). */
  jwtMaxLifetimeMs?: number
  /**
   * `refuse` (default): a JWT the exchange already accepted is refused until it expires, recognised by its
   * `jti` claim when it has one, else by its exact text (RFC 7523 §3). `accept`: a replay is exchanged
   * again. Workfront documents neither; refusing is what a careful server does (an inference).
   */
  jwtReplay?: 'accept' | 'refuse'
  /** `echo` (default): the callback carries `state` when it was sent. `omit`: it never does. */
  callbackState?: 'echo' | 'omit'
  /**
   * `classic` (default): the tenant host is `<domain>.<lane>.workfront.com`. `unified-experience`: the
   * Unified Experience family, `<domain>.<lane>.workfront.adobe.com`. The callback names `domain` and `lane`
   * only, in both.
   */
  hostFamily?: 'classic' | 'unified-experience'
  /**
   * Hosts the mock answers besides its tenant host and loopback hosts (`127.0.0.1`, `localhost`, `[::1]`,
   * any port). Requests addressed to any other host get 421. E.g. the host a demo mounts the mock under.
   */
  acceptedHosts?: string[]
  /** An API session ends after this much inactivity. Default 8 hours. */
  sessionIdleMs?: number
  /** Authorization code lifetime. Default 120 000 (2 minutes, per Workfront's doc). */
  codeTtlMs?: number
  /** Token endpoint error body. Default `workfront`: `{statusCode, error: true, type, message}`. */
  errorShape?: 'workfront' | 'rfc6749'
  /**
   * How the API answers a request without a live session. `401` (default): HTTP 401 with
   * `{error: {class: 'com.attask.common.AuthenticationException', message}}`. `200`: the same body with
   * HTTP 200; `200-data`: HTTP 200 with `{data: {error: {class, message}}}` (Workfront sometimes answers a
   * failure with 200, WORKFRONT.md §7).
   */
  authenticationError?: '401' | '200' | '200-data'
  /**
   * A refresh without rotation answers without `refresh_token` (the client keeps the one it has, RFC 6749
   * §6). Default `false`: every token response carries one, as Workfront's page shows.
   */
  omitUnchangedRefreshToken?: boolean
  /** Base clock. Default: real time. The mock wraps it in a {@link ControllableClock}. */
  clock?: MockClock
  /** Skip the login and consent pages: authorize redirects at once with a code for this user. */
  autoConsent?: { username: string }
  /** Expose the knobs over HTTP under `path` (default `/__mock`). Default off. */
  admin?: { enabled: boolean; path?: string }
  /**
   * Served API versions. Default: Workfront's schedule ({@link API_VERSION_SCHEDULE}) at the mock's clock —
   * supported and deprecated versions are served, removed ones get 410. Both the removal date (deprecation
   * + 1 year) and the 410 are inferences: Workfront documents neither, and the 410's message says so. Given
   * explicitly: exactly these are served and older `vN.0` get 410; e.g. `['v14.0', 'v21.0']` serves the call
   * on Workfront's OAuth page, `GET /attask/api/v14.0/proj/search`, after v14.0's inferred removal.
   */
  apiVersions?: string[]
  /** When set, API requests above this many in flight get 429 with `Retry-After`. */
  maxConcurrentApiRequests?: number
  /** Print the demo credentials on the login page (a dev tool nicety). Default `false`. */
  showDemoCredentials?: boolean
}

/** Delays (ms, real timers) the mock adds to its endpoints. */
export interface MockLatency {
  /** Milliseconds before the token endpoint answers. */
  token?: number
  /** The JWT exchange endpoint. */
  jwt?: number
  /** Milliseconds before an API call answers. */
  api?: number
  /** Milliseconds before the authorize page answers. */
  authorize?: number
}

/** A failure to inject into the next matching requests (status, connection reset, lost refresh). */
export interface MockFailure {
  /** Which endpoint fails: the token endpoint, the JWT exchange, or the API. */
  endpoint: 'token' | 'jwt' | 'api'
  /**
   * - `status500`: the request is not applied and gets a 500.
   * - `reset`: the request is not applied and the connection drops (in-process `fetch` rejects with a
   *   `TypeError`; the Node server destroys the socket).
   * - `dropAfterRotate`: a successful refresh is fully applied (old refresh token disabled, new one
   *   issued) and then the connection drops as for `reset`. Token endpoint only.
   * - `status429`: API only; the request is not applied and gets 429 with `Retry-After: retryAfter`.
   * On `jwt`, `status500` and `reset` apply before the exchange.
   */
  kind: 'status500' | 'status429' | 'reset' | 'dropAfterRotate'
  /** How many matching requests fail. Default 1. */
  times?: number
  /** `status429`: the `Retry-After` seconds. Default 1. */
  retryAfter?: number
  /** Token endpoint only: fail only requests of this grant type. */
  grantType?: 'authorization_code' | 'refresh_token'
}

/** What reached the mock: token calls by grant type, reuses of codes and rotated refresh tokens, API statuses. */
export interface MockCounters {
  /** Requests that reached the token endpoint, by grant type. */
  tokenCalls: { authorization_code: number; refresh_token: number; other: number }
  /** Requests that reached the JWT exchange endpoint, and how many of them got a session. */
  jwtExchanges: { calls: number; succeeded: number }
  /** Uses of a refresh token that rotation had already disabled. */
  refreshReuses: number
  /** Uses of an authorization code that had already been exchanged. */
  codeReuses: number
  /** API responses by HTTP status, e.g. `{ '200': 3, '401': 1 }`. */
  apiCalls: Record<string, number>
}

/** A running mock: its HTTP handler (`fetch`), its tenant host, and its knobs and counters. */
export interface WorkfrontMock {
  /** The Hono app: mount it in another app with `parent.route('/', mock.app)`. */
  app: Hono
  /** `app.fetch` as an HTTP port: any host works, only the path matters. */
  fetch(request: Request): Promise<Response>
  /** The tenant host, e.g. `acme.my.workfront.com`. */
  host: string
  /** The mock's clock: advance it to expire sessions and codes. */
  clock: ControllableClock
  /** Ends every session now: the next API call with one gets 401 and needs a refresh. */
  expireAllSessions(): void
  /** Sets how long each endpoint waits before answering. */
  setLatency(latency: MockLatency): void
  /** Makes the next matching requests fail as described. */
  injectFailure(failure: MockFailure): void
  /** What reached the mock since the start or the last `resetCounters()`. */
  counters(): MockCounters
  /** Sets every counter back to 0. */
  resetCounters(): void
  /** As if the code flow had completed for this user and client. */
  issueGrant(options: { clientId: string; username: string }): TokenResponse
  /**
   * Renames a user or changes their email address, as a Workfront admin would: the API (`user/<id>`,
   * `user/search`) answers with the change at once; their ID, username, sessions and grants stay.
   */
  updateUser(options: { username: string; name?: string; email?: string }): void
  /**
   * Forgets every code, grant, session, exchanged JWT, knob and counter, and user change, and zeroes the
   * clock offset.
   */
  reset(): void
}
