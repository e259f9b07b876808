/**
 * The inbound HTTP side of the flows, framework-agnostic: what the login, callback and logout steps read
 * from a request and what they answer, as plain data over Web-standard types. Cookie attributes, browser
 * binding of `state`, `returnTo` validation, cookie signing and error statuses are decided here once; a
 * framework adapter (Hono, Express, Next…) only translates its request and response objects.
 */
import { createBoundedMap } from './bounded-map.ts'
import type { WorkfrontOAuth } from './client.ts'
import { base64url, hasControlCharacters, timingSafeEqual, utf8 } from './encoding.ts'
import { httpStatusFor, isWorkfrontOAuthError, WorkfrontOAuthError } from './errors.ts'
import { randomToken } from './pkce.ts'
import type { Clock } from './ports.ts'
import { cryptoRandom, systemClock } from './ports.ts'
import type { RateLimit } from './rate-limit.ts'
import { createRateLimiter } from './rate-limit.ts'
import { isLoopbackHost } from './tenant.ts'

/** What the steps read from a request; a Web `Request` is one. */
export interface WebRequest {
  readonly url: string
  readonly method: string
  readonly headers: { get(name: string): string | null }
}

/** Attributes of a cookie the web flow sets. */
export interface CookieAttributes {
  httpOnly: boolean
  secure: boolean
  sameSite: 'Lax' | 'Strict'
  path: string
  /** Seconds; 0 clears the cookie. */
  maxAge: number
}

/** A cookie to set (or clear) on the response. */
export interface CookieInstruction {
  name: string
  value: string
  attributes: CookieAttributes
}

/** What a step of the web flow answers: a redirect, or an error with its HTTP status, and the cookies to set. */
export type WebResult =
  | { type: 'redirect'; status: 302 | 303; location: string; cookies: CookieInstruction[] }
  | { type: 'error'; status: number; error: WorkfrontOAuthError; cookies: CookieInstruction[] }

/** Options of `createWebFlow()`. */
export interface WebFlowOptions {
  oauth: WorkfrontOAuth
  /** The app's public origin (`https://app.example.com`); decides `Secure`, `__Host-` and CSRF checks. */
  appOrigin: string
  /** HMAC secrets for cookies, newest first; each at least 32 characters. Older ones still verify. */
  cookieSecrets: readonly string[]
  /** Session cookie name without prefix (default `wf_session`) and lifetime (default 7 days). */
  sessionCookieName?: string
  sessionMaxAgeSeconds?: number
  /** Login-binding cookie name without prefix (default `wf_login`). */
  loginCookieName?: string
  /** Lifetime of the login-binding cookie (default 15 minutes: the transaction's lifetime and more). */
  loginMaxAgeSeconds?: number
  /**
   * Bounds the sign-ins this process starts, whoever asks: each writes a login transaction that the store
   * keeps for 15 minutes by default (its lifetime and a grace period), and anyone can start one. Past it,
   * `login` answers 503 `login_capacity_exceeded` with `retryAfter`. Default `DEFAULT_LOGIN_CAPACITY`
   * (at most 9,100 transactions per process at any time); `false` turns it off.
   */
  loginCapacity?: RateLimit | false
  /**
   * The per-client limit hook: the key a sign-in is counted under (the client's IP address as your
   * platform reports it, an API key…), or `null` not to count it. Past `loginRateLimit` per key, `login`
   * answers 429 `login_rate_limited` with `retryAfter`. Absent: no per-client limit.
   */
  loginClientKey?: (request: WebRequest) => string | null
  /** Sign-ins one client key may start. Default `DEFAULT_LOGIN_RATE_LIMIT`. */
  loginRateLimit?: RateLimit
  /** Clock of the login limits and of the verified-cookie cache. Default the system clock. */
  clock?: Clock
  /**
   * Cookies whose signature this process has checked, so that a session's HMAC is computed once (see the
   * README). Default `{ maxEntries: 10_000, maxAgeMs: 600_000 }`; `false` checks every request.
   */
  verifiedCookieCache?: VerifiedCookieCacheOptions | false
}

/** Bounds of the verified-cookie cache of `createWebFlow` / `createCookieSigner`. */
export interface VerifiedCookieCacheOptions {
  /** Cookie values held at most. Default 10 000. */
  maxEntries?: number
  /** How long a checked cookie is taken on trust before its signature is checked again. Default 10 minutes. */
  maxAgeMs?: number
}

/** The answer for a request without the cookie asked for, shared (it never changes once settled). */
const NO_COOKIE: Promise<null> = Promise.resolve(null)

/** 100 at once, then 10 a second: ≤ 100 + 600 × 15 = 9,100 login transactions alive per process. */
export const DEFAULT_LOGIN_CAPACITY: RateLimit = { burst: 100, perMinute: 600 }
/** 10 at once, then one every 6 seconds per client key: a person retrying is never limited. */
export const DEFAULT_LOGIN_RATE_LIMIT: RateLimit = { burst: 10, perMinute: 10 }

/** The login, callback and logout steps of a web app, as data (see `createWebFlow()`). */
export interface WebFlow {
  readonly cookieNames: { session: string; login: string }
  login(request: WebRequest): Promise<WebResult>
  callback(request: WebRequest): Promise<WebResult>
  logout(request: WebRequest): Promise<WebResult>
  /** The grant id of the signed-in browser, or null. */
  session(request: WebRequest): Promise<string | null>
  /** The instruction that removes the session cookie (e.g. when the grant is gone). */
  clearSession(): CookieInstruction
}

/**
 * The inbound web flow: login, callback and logout as plain results (redirects, cookies, typed errors),
 * with the browser binding of `state`, CSRF checks and `returnTo` validation. Framework adapters translate it.
 */
export function createWebFlow(options: WebFlowOptions): WebFlow {
  const origin = parseAppOrigin(options.appOrigin)
  const secure = origin.startsWith('https:')
  const prefix = secure ? '__Host-' : ''
  const names = {
    session: `${prefix}${cookieName(options.sessionCookieName ?? 'wf_session')}`,
    login: `${prefix}${cookieName(options.loginCookieName ?? 'wf_login')}`,
  }
  // The signature binds a value to its cookie's name; with one name for both, the login nonce would verify
  // as a session id.
  if (names.session === names.login) {
    throw new WorkfrontOAuthError('invalid_options', 'The session and login cookies need different names')
  }
  const clock = options.clock ?? systemClock
  const signer = createSigner(options.cookieSecrets, {
    cache: options.verifiedCookieCache ?? {},
    clock,
  })
  const sessionMaxAge = lifetime(options.sessionMaxAgeSeconds ?? 7 * 24 * 3600)
  const loginMaxAge = lifetime(options.loginMaxAgeSeconds ?? 15 * 60)
  // Lax, not Strict: the callback is a top-level navigation coming from Workfront's site.
  const attributes = (maxAge: number): CookieAttributes => ({
    httpOnly: true,
    secure,
    sameSite: 'Lax',
    path: '/',
    maxAge,
  })
  const cookie = (name: string, value: string, maxAge: number): CookieInstruction => ({
    name,
    value,
    attributes: attributes(maxAge),
  })
  const clearSession = (): CookieInstruction => cookie(names.session, '', 0)

  const capacity =
    options.loginCapacity === false
      ? null
      : createRateLimiter(options.loginCapacity ?? DEFAULT_LOGIN_CAPACITY, { clock, maxKeys: 1 })
  const perClient = options.loginClientKey
    ? createRateLimiter(options.loginRateLimit ?? DEFAULT_LOGIN_RATE_LIMIT, { clock })
    : null

  /** The login limits, checked before anything is written: the client's first, then the process's. */
  function admitLogin(request: WebRequest): WorkfrontOAuthError | null {
    const key = perClient ? (options.loginClientKey as (r: WebRequest) => string | null)(request) : null
    if (perClient && key !== null) {
      const wait = perClient.take(key)
      if (wait > 0) {
        return new WorkfrontOAuthError('login_rate_limited', 'Too many sign-ins from here; try again later', {
          retryAfter: wait,
        })
      }
    }
    const wait = capacity ? capacity.take('') : 0
    if (wait === 0) return null
    return new WorkfrontOAuthError(
      'login_capacity_exceeded',
      'Too many sign-ins are in progress; try again in a moment',
      { retryAfter: wait },
    )
  }

  const errorResult = (error: unknown, cookies: CookieInstruction[] = []): WebResult => {
    const typed = isWorkfrontOAuthError(error)
      ? error
      : new WorkfrontOAuthError('invalid_transition', 'Unexpected failure', { cause: error })
    return { type: 'error', status: httpStatusFor(typed.code), error: typed, cookies }
  }

  // Not `async`: on the hot path (a session cookie this process has verified) the answer is known at once,
  // without the two async frames (this and `verify`) it used to cost per request.
  function readSigned(request: WebRequest, name: string): Promise<string | null> {
    const raw = readCookie(request.headers.get('cookie'), name)
    if (raw === undefined) return NO_COOKIE
    const known = signer.verified(name, raw)
    return known === undefined ? signer.verify(name, raw) : Promise.resolve(known)
  }

  return {
    cookieNames: names,

    async login(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return errorResult(new WorkfrontOAuthError('method_not_allowed', 'Use GET to start signing in'))
      }
      try {
        const url = new URL(request.url)
        const returnTo = validateReturnTo(url.searchParams.get('returnTo'), origin)
        const refused = admitLogin(request)
        if (refused) return errorResult(refused)
        const tenant = url.searchParams.get('tenant') ?? undefined
        // One binding nonce per browser, reused across tabs so that parallel sign-ins do not cancel out.
        const nonce = (await readSigned(request, names.login)) ?? randomToken(cryptoRandom)
        const start = await options.oauth.startLogin({
          returnTo,
          browserBinding: nonce,
          ...(tenant ? { tenant } : {}),
        })
        return {
          type: 'redirect',
          status: 302,
          location: start.url,
          cookies: [cookie(names.login, await signer.sign(names.login, nonce), loginMaxAge)],
        }
      } catch (error) {
        return errorResult(error)
      }
    },

    async callback(request) {
      if (request.method !== 'GET') {
        return errorResult(new WorkfrontOAuthError('method_not_allowed', 'The callback is a GET request'))
      }
      try {
        const nonce = await readSigned(request, names.login)
        const { grant, returnTo } = await options.oauth.handleCallback(new URL(request.url), {
          browserBinding: nonce,
        })
        // Signing in again in a browser that has a session replaces it: the old grant (and its refresh
        // token, valid for months) must not outlive the cookie that pointed to it. Best effort: the new
        // sign-in succeeded whatever happens to the old one.
        const previous = await readSigned(request, names.session)
        if (previous !== null && previous !== grant.id) {
          await options.oauth.logout(previous).catch(() => undefined)
        }
        return {
          type: 'redirect',
          status: 302,
          // Checked again on the way out: `startLogin` may have been called with an unchecked value, or the
          // transaction stored by an older version.
          location: safeReturnTo(returnTo, origin),
          // A fresh session id on every sign-in: no fixation.
          cookies: [cookie(names.session, await signer.sign(names.session, grant.id), sessionMaxAge)],
        }
      } catch (error) {
        return errorResult(error)
      }
    },

    async logout(request) {
      if (request.method !== 'POST') {
        return errorResult(new WorkfrontOAuthError('method_not_allowed', 'Sign out with a POST request'))
      }
      if (!isSameOrigin(request, origin)) {
        return errorResult(new WorkfrontOAuthError('csrf_rejected', 'Sign-out must come from this site'))
      }
      let returnTo: string
      try {
        // Checked before anything is done: a refused request leaves the browser and its grant as they
        // were, instead of dropping the cookie and leaving the grant (and its Workfront session) behind.
        returnTo = validateReturnTo(new URL(request.url).searchParams.get('returnTo'), origin)
      } catch (error) {
        return errorResult(error)
      }
      const grantId = await readSigned(request, names.session)
      try {
        if (grantId !== null) await options.oauth.logout(grantId)
        return { type: 'redirect', status: 303, location: returnTo, cookies: [clearSession()] }
      } catch (error) {
        // The browser is signed out either way; the error says what could not be cleaned up.
        return errorResult(error, [clearSession()])
      }
    },

    session(request) {
      return readSigned(request, names.session)
    },

    clearSession,
  }
}

/** A cookie name is an RFC 6265 token: anything else would break or inject into the `Set-Cookie` line. */
function cookieName(name: string): string {
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,64}$/.test(name)) {
    throw new WorkfrontOAuthError('invalid_options', 'Cookie names are 1–64 token characters (RFC 6265)')
  }
  return name
}

/** Seconds, a whole positive number: 0 would delete the cookie at once, and NaN is not a lifetime. */
function lifetime(seconds: number): number {
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new WorkfrontOAuthError('invalid_options', 'Cookie lifetimes are a whole number of seconds above 0')
  }
  return seconds
}

function parseAppOrigin(value: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch (cause) {
    throw new WorkfrontOAuthError('invalid_options', 'appOrigin is not a URL', { cause })
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'appOrigin must be https: (http: only on loopback, for development)',
    )
  }
  return url.origin
}

/**
 * CSRF defence for state-changing requests: the browser must say the request comes from `origin`
 * (`Origin`, or `Sec-Fetch-Site: same-origin` where a browser sends no `Origin`).
 */
export function isSameOrigin(request: WebRequest, origin: string): boolean {
  const header = request.headers.get('origin')
  if (header !== null) return header === origin
  return request.headers.get('sec-fetch-site') === 'same-origin'
}

/**
 * Accepts only same-origin relative paths (`/projects?x=1`) and returns them normalized; anything that a
 * browser could resolve to another origin (`//evil`, `/\evil`, `/%2F%2Fevil`, `/..//evil`, schemes, control
 * characters) is refused. Absent means `/`.
 */
export function validateReturnTo(value: string | null | undefined, appOrigin: string): string {
  if (value === null || value === undefined || value === '') return '/'
  const refuse = (): never => {
    throw new WorkfrontOAuthError('invalid_return_to', 'returnTo must be a path on this site')
  }
  if (value.length > 2048 || !isPlainPath(value)) refuse()
  const url = new URL(value, appOrigin)
  const path = `${url.pathname}${url.search}${url.hash}`
  // The URL parser resolves dot segments: `/..//evil.com` (or `/.%2e//evil.com`) becomes `//evil.com`, a
  // network-path reference to another host. So the normalized path is what is checked and returned (and
  // its length too, so that checking it again at the callback gives the same answer).
  if (url.origin !== appOrigin || path.length > 2048 || !isPlainPath(path)) refuse()
  return path
}

/**
 * True for a path that starts with one `/` and, raw or decoded up to three times (some servers and
 * browsers decode once more), has no backslash, control character, or second slash or space after it.
 */
function isPlainPath(value: string): boolean {
  if (!value.startsWith('/')) return false
  let text = value
  for (let i = 0; i < 4; i++) {
    if (text.includes('\\') || hasControlCharacters(text) || /^\/[\s/\\]/.test(text)) return false
    let decoded: string
    try {
      decoded = decodeURIComponent(text)
    } catch {
      return false
    }
    if (decoded === text) return true
    text = decoded
  }
  // Still encoded after every form was checked: no honest path is nested that deep.
  return false
}

function safeReturnTo(value: string, appOrigin: string): string {
  try {
    return validateReturnTo(value, appOrigin)
  } catch {
    return '/'
  }
}

/** `Set-Cookie` value for an instruction. */
export function serializeCookie(cookie: CookieInstruction): string {
  const a = cookie.attributes
  const parts = [
    `${cookie.name}=${cookie.value}`,
    `Path=${a.path}`,
    `Max-Age=${a.maxAge}`,
    `SameSite=${a.sameSite}`,
  ]
  if (a.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
  if (a.httpOnly) parts.push('HttpOnly')
  if (a.secure) parts.push('Secure')
  return parts.join('; ')
}

/** Parses a `Cookie` header; the first occurrence of a name wins (the most specific path, per RFC 6265). */
export function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>()
  if (!header) return cookies
  for (const part of header.split(';')) {
    const index = part.indexOf('=')
    if (index < 0) continue
    const name = part.slice(0, index).trim()
    if (name && !cookies.has(name)) cookies.set(name, part.slice(index + 1).trim())
  }
  return cookies
}

/**
 * One cookie of a `Cookie` header: `parseCookies(header).get(name)`, without building the map of every
 * cookie the browser sends (this runs on every authenticated request). One pass over the header: the next
 * `=` is searched for again only once the scan is past it, so a header of many `;` without `=` stays linear.
 */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined
  let start = 0
  let index = header.indexOf('=')
  while (index >= 0) {
    let end = header.indexOf(';', start)
    if (end < 0) end = header.length
    if (index < end && header.slice(start, index).trim() === name) return header.slice(index + 1, end).trim()
    start = end + 1
    if (index < start) index = header.indexOf('=', start)
  }
  return undefined
}

/** A plain Web `Response` for a result: redirects as they are, errors as JSON `{ error: { code, message } }`. */
export function toResponse(result: WebResult): Response {
  const headers = new Headers({ 'cache-control': 'no-store' })
  for (const c of result.cookies) headers.append('set-cookie', serializeCookie(c))
  if (result.type === 'redirect') {
    headers.set('location', result.location)
    return new Response(null, { status: result.status, headers })
  }
  headers.set('content-type', 'application/json')
  if (result.error.retryAfter !== undefined) headers.set('retry-after', String(result.error.retryAfter))
  const { code, message } = result.error
  return new Response(JSON.stringify({ error: { code, message } }), { status: result.status, headers })
}

/** Signs and verifies cookie values with HMAC-SHA-256 (several secrets for rotation). */
export interface CookieSigner {
  sign(name: string, value: string): Promise<string>
  /** The value if the signature matches any key, else null. */
  verify(name: string, signed: string): Promise<string | null>
}

/** Options of `createCookieSigner`. */
export interface CookieSignerOptions {
  /** Remember the cookies that verified (bounded; `false` or absent: verify every time). */
  cache?: VerifiedCookieCacheOptions | false
  /** Time for the cache's maximum age. Default: the system clock. */
  clock?: Clock
}

/**
 * HMAC-SHA256 cookie signatures with key rotation. The cookie name is signed with the value, so a value
 * cannot be moved from one cookie to another (the login nonce cannot pose as a session id).
 *
 * With `cache`, a cookie that verified is remembered by its exact name and value, bounded in number
 * (oldest first out) and age. Only successes are held: a forged cookie costs the HMACs each time, and
 * cannot push real sessions out. The cache belongs to this signer and its secrets: rotating the secrets
 * means a new signer, whose cache starts empty, so a cookie signed with a dropped secret stops verifying.
 */
export function createCookieSigner(
  secrets: readonly string[],
  options: CookieSignerOptions = {},
): CookieSigner {
  const { sign, verify } = createSigner(secrets, options)
  return { sign, verify }
}

/** The signer, plus what the web flow's hot path needs: a synchronous look at the verified-cookie cache. */
interface CachingSigner extends CookieSigner {
  /** The value of a cookie this signer has signed or verified (within the cache's bounds), else undefined. */
  verified(name: string, signed: string): string | undefined
}

function createSigner(secrets: readonly string[], options: CookieSignerOptions): CachingSigner {
  if (secrets.length === 0)
    throw new WorkfrontOAuthError('invalid_options', 'At least one cookie secret is required')
  for (const secret of secrets) {
    if (secret.length < 32)
      throw new WorkfrontOAuthError('invalid_options', 'Cookie secrets must be at least 32 characters')
  }
  const keys = secrets.map((secret) =>
    crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
  )
  const mac = async (key: Promise<CryptoKey>, name: string, value: string): Promise<string> =>
    base64url(new Uint8Array(await crypto.subtle.sign('HMAC', await key, utf8(`${name}=${value}`))))
  // Keyed by the exact cookie value (no `name=value` string built and hashed per request); a hit also needs
  // the same cookie name, as the signature covers it.
  const cache = options.cache
    ? createBoundedMap<{ name: string; value: string }>({
        maxEntries: options.cache.maxEntries ?? 10_000,
        maxAgeMs: options.cache.maxAgeMs ?? 600_000,
        clock: options.clock ?? systemClock,
        name: 'verifiedCookieCache',
      })
    : null

  function cached(name: string, signed: string): string | undefined {
    const entry = cache?.get(signed)
    return entry !== undefined && entry.name === name ? entry.value : undefined
  }

  async function check(name: string, signed: string): Promise<string | null> {
    const index = signed.lastIndexOf('.')
    if (index <= 0 || signed.length > 4096) return null
    const value = signed.slice(0, index)
    const signature = signed.slice(index + 1)
    for (const key of keys) {
      if (timingSafeEqual(await mac(key, name, value), signature)) return value
    }
    return null
  }

  return {
    async sign(name, value) {
      const signed = `${value}.${await mac(keys[0] as Promise<CryptoKey>, name, value)}`
      // Signed here, so valid: when the browser sends it back (the login cookie at the callback, the
      // session cookie on the next request) no HMAC is computed again.
      cache?.set(signed, { name, value })
      return signed
    },
    async verify(name, signed) {
      if (cache === null) return check(name, signed)
      const held = cached(name, signed)
      if (held !== undefined) return held
      const value = await check(name, signed)
      if (value !== null) cache.set(signed, { name, value })
      return value
    },
    verified: cached,
  }
}
