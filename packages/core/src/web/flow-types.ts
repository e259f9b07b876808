/**
 * The shapes of the web flow: its options, what the runtime adds to a request, what `onSignIn` is told and
 * may answer, what a step answers, and the flow itself. Types only; `createWebFlow` (flow.ts) implements them.
 */
import type { WorkfrontOAuth } from '../client.ts'
import type { GrantInfo } from '../driver/records.ts'
import type { WorkfrontOAuthError } from '../errors.ts'
import type { WorkfrontUser } from '../machine.ts'
import type { Clock } from '../ports.ts'
import type { RateLimit } from '../rate-limit.ts'
import type { CookieInstruction, HeadersInput } from './cookies.ts'
import type { WebRequest } from './request.ts'
import type { VerifiedCookieCacheOptions } from './signer.ts'

/** What a step answers: a redirect, or an error with its HTTP status, and the cookies to set. */
export type WebResult =
  | { type: 'redirect'; status: 302 | 303; location: string; cookies: CookieInstruction[] }
  | { type: 'error'; status: number; error: WorkfrontOAuthError; cookies: CookieInstruction[] }

/**
 * Where a browser's session (its grant id) is kept, when not in the flow's own signed cookie: an app's
 * existing session (express-session, a framework's session store). `write` must start a new session id
 * where the store has one (no fixation), as the signed cookie does.
 */
export interface SessionBinding {
  /** The grant id this browser is signed in with, or null. */
  read(): string | null | Promise<string | null>
  /** Signs the browser in with `grantId` (at the callback). */
  write(grantId: string): void | Promise<void>
  /** Signs the browser out (at logout, or when its grant is gone). */
  clear(): void | Promise<void>
}

/** What the runtime knows about a request beyond the request itself. Every field is optional. */
export interface RequestContext {
  /**
   * The client's address as the runtime knows it (Node's socket, Workers' `CF-Connecting-IP`, or an address
   * resolved behind trusted proxies): the key of the per-client sign-in limit when `loginClientKey` is not
   * given.
   */
  clientAddress?: string | null
  /** Keeps the grant id in the app's own session instead of the signed session cookie. */
  session?: SessionBinding
}

/** What `onSignIn` is told: the new grant, who signed in, and the callback request. */
export interface SignInEvent {
  /** The new grant's id (what the session points to). A secret of the browser's: never show or log it. */
  grantId: string
  /** The new grant, as the app may keep or show it (no tokens). */
  grant: GrantInfo
  /** Who signed in (see `WorkfrontOAuthOptions.user`); null when the app reads no user. */
  user: WorkfrontUser | null
  /** The callback request (its headers, for the app's own bookkeeping). */
  request: WebRequest
  /** Where the browser is about to go: the path the sign-in started with. */
  returnTo: string
}

/** What `onSignIn` may answer besides nothing (go on): another path of this site to send the browser to. */
export interface SignInDecision {
  /** Where to send the user instead of the path they asked for; checked like any `returnTo`. */
  returnTo?: string
}

/** Options of `createWebFlow()` (and of `createWebAuth()`, which adds the routes). */
export interface WebFlowOptions {
  /** The OAuth client the steps drive. */
  oauth: WorkfrontOAuth
  /** The app's public origin (`https://app.example.com`); decides `Secure`, `__Host-` and CSRF checks. */
  appOrigin: string
  /** HMAC secrets for cookies, newest first; each at least 32 characters. Older ones still verify. */
  cookieSecrets: readonly string[]
  /** Session cookie name without prefix. Default `wf_session`. */
  sessionCookieName?: string
  /** Lifetime of the session cookie, in seconds. Default 7 days. */
  sessionMaxAgeSeconds?: number
  /** Login-binding cookie name without prefix. Default `wf_login`. */
  loginCookieName?: string
  /** Lifetime of the login-binding cookie, in seconds. Default 15 minutes (the transaction's lifetime and more). */
  loginMaxAgeSeconds?: number
  /**
   * Bounds the sign-ins this process starts, whoever asks: each writes a login transaction that the store
   * keeps for 15 minutes by default (its lifetime and a grace period), and anyone can start one. Past it,
   * `login` answers 503 `login_capacity_exceeded` with `retryAfter`. Default `DEFAULT_LOGIN_CAPACITY`
   * (at most 9,100 transactions per process at any time); `false` turns it off.
   */
  loginCapacity?: RateLimit | false
  /**
   * The key a sign-in is counted under for the per-client limit (an API key, an address your platform
   * reports…), or `null` not to count it. Past `loginRateLimit` per key, `login` answers 429
   * `login_rate_limited` with `retryAfter`. Default: the request context's `clientAddress`, when the
   * binding knows it (the Node bridge, Workers' `CF-Connecting-IP`); else no per-client limit.
   */
  loginClientKey?: (request: WebRequest, context: RequestContext) => string | null
  /** Sign-ins one client key may start. Default `DEFAULT_LOGIN_RATE_LIMIT`. */
  loginRateLimit?: RateLimit
  /**
   * The prefix length an IPv6 client address is counted by (its network, not the address: one client can
   * use every address of its own /64). Default 64; 128 counts each address on its own.
   */
  loginClientIPv6Prefix?: number
  /**
   * Called once a sign-in has succeeded, before the browser gets its session: the place to create the app's
   * own user record. Return `{ returnTo }` to send the browser elsewhere (a path of this site), or throw a
   * `WorkfrontOAuthError` (`sign_in_refused`…) to refuse the sign-in: the grant is then ended and deleted
   * and the browser gets the error's page. Any other exception refuses it as `internal_error`.
   *
   * It runs inside the callback request, after the 2-minute code was exchanged, so the code is not at risk,
   * but the user waits: keep it short (a database write), never a long job.
   */
  onSignIn?: (
    event: SignInEvent,
  ) => SignInDecision | undefined | void | Promise<SignInDecision | undefined> | Promise<void>
  /** Clock of the login limits and of the verified-cookie cache. Default the system clock. */
  clock?: Clock
  /**
   * Cookies whose signature this process has checked, so that a session's HMAC is computed once (see the
   * README). Default `{ maxEntries: 10_000, maxAgeMs: 600_000 }`; `false` checks every request.
   */
  verifiedCookieCache?: VerifiedCookieCacheOptions | false
}

/** The login, callback and logout steps of a web app, as data (see `createWebFlow()`). */
export interface WebFlow {
  /** The cookies' names as sent (with the `__Host-` prefix on https). */
  readonly cookieNames: { session: string; login: string }
  /** The app's public origin, as `appOrigin` gave it. */
  readonly appOrigin: string
  /**
   * `GET /login?returnTo=…[&tenant=…]`: checks the sign-in limits and `returnTo`, starts a login bound to
   * this browser (the login cookie) and redirects to Workfront's authorize page.
   */
  login(request: WebRequest, context?: RequestContext): Promise<WebResult>
  /**
   * `GET /callback?code=…&state=…&domain=…&lane=…`: checks that the callback belongs to a login this browser
   * started, exchanges the code, runs `onSignIn`, ends the browser's previous grant if it had one, and signs
   * the browser in (a new session cookie, or `context.session`) with a redirect to `returnTo`.
   */
  callback(request: WebRequest, context?: RequestContext): Promise<WebResult>
  /**
   * `POST /logout[?returnTo=…]`, from this site only (`Origin` or `Sec-Fetch-Site`): ends the Workfront
   * session, deletes the grant, clears the session and redirects (303) to `returnTo`.
   */
  logout(request: WebRequest, context?: RequestContext): Promise<WebResult>
  /** The grant id the browser is signed in with (signature checked, grant not read), or null. */
  session(request: { headers: HeadersInput }, context?: RequestContext): Promise<string | null>
  /** The instruction that removes the session cookie (e.g. when the grant is gone). */
  clearSession(): CookieInstruction
}
