/**
 * The sign-in steps of a web app as data: what login, callback and logout read from a request and what
 * they answer (a redirect or a typed error, and the cookies to set). Cookie attributes, the browser binding
 * of `state`, `returnTo` checks, the sign-in limits, the `onSignIn` hook and error statuses are decided here
 * once; `createWebAuth` turns the results into `Response`s and framework bindings only translate.
 */
import { clientKeyOf } from '../client-address.ts'
import { cryptoRandom, systemClock } from '../defaults.ts'
import { httpStatusFor } from '../error-table.ts'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import { randomToken } from '../pkce.ts'
import type { RateLimit } from '../rate-limit.ts'
import { createRateLimiter } from '../rate-limit.ts'
import { isLoopbackHost } from '../tenant.ts'
import type { CookieAttributes, CookieInstruction, HeadersInput } from './cookies.ts'
import { headerValue, readCookie } from './cookies.ts'
import type { RequestContext, SignInEvent, WebFlow, WebFlowOptions, WebResult } from './flow-types.ts'
import type { WebRequest } from './request.ts'
import { isSameOrigin, safeReturnTo, validateReturnTo } from './return-to.ts'
import { createSigner } from './signer.ts'

/** 100 at once, then 10 a second: ≤ 100 + 600 × 15 = 9,100 login transactions alive per process. */
export const DEFAULT_LOGIN_CAPACITY: RateLimit = { burst: 100, perMinute: 600 }
/** 10 at once, then one every 6 seconds per client key: a person retrying is never limited. */
export const DEFAULT_LOGIN_RATE_LIMIT: RateLimit = { burst: 10, perMinute: 10 }

/** The answer for a request without the cookie asked for, shared (it never changes once settled). */
const NO_COOKIE: Promise<null> = Promise.resolve(null)

/**
 * The inbound web flow: login, callback and logout as plain results (redirects, cookies, typed errors),
 * with the browser binding of `state`, CSRF checks and `returnTo` validation. `createWebAuth()` serves it
 * as `Request` → `Response`; framework bindings translate it.
 */
export function createWebFlow(options: WebFlowOptions): WebFlow {
  return webFlow(options).flow
}

/**
 * The web flow, and the browser's grant id when it is known at once (internal: the guard's fast lane):
 * from the app's session when it answers synchronously, or from a session cookie this process has signed
 * or verified; `undefined` when it takes a wait (a signature to check, an app session that answers later).
 */
export function webFlow(options: WebFlowOptions): {
  flow: WebFlow
  sessionNow(request: { headers: HeadersInput }, context: RequestContext): string | null | undefined
} {
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
    sameSite: 'lax',
    path: '/',
    maxAge,
  })
  const cookie = (name: string, value: string, maxAge: number): CookieInstruction => ({
    name,
    value,
    attributes: attributes(maxAge),
  })
  const clearSession = (): CookieInstruction => cookie(names.session, '', 0)

  const capacityLimit =
    options.loginCapacity === false ? null : (options.loginCapacity ?? DEFAULT_LOGIN_CAPACITY)
  const capacity = capacityLimit === null ? null : createRateLimiter(capacityLimit, { clock, maxKeys: 1 })
  // Sign-ins of clients nobody can tell apart (no address, no key) share half of the capacity: a flood of
  // them cannot use up what is left for clients that can be told apart, and one of those cannot use up
  // anything (its own limit refuses it first).
  const unknownClients =
    capacityLimit === null
      ? null
      : createRateLimiter(
          {
            burst: Math.max(1, Math.floor(capacityLimit.burst / 2)),
            perMinute: capacityLimit.perMinute / 2,
          },
          { clock, maxKeys: 1 },
        )
  const perClient = createRateLimiter(options.loginRateLimit ?? DEFAULT_LOGIN_RATE_LIMIT, { clock })
  const ipv6Prefix = options.loginClientIPv6Prefix ?? 64
  if (!Number.isSafeInteger(ipv6Prefix) || ipv6Prefix < 1 || ipv6Prefix > 128) {
    throw new WorkfrontOAuthError('invalid_options', 'loginClientIPv6Prefix is a prefix length from 1 to 128')
  }
  const clientKey =
    options.loginClientKey ??
    ((_request: WebRequest, context: RequestContext) =>
      context.clientAddress ? clientKeyOf(context.clientAddress, ipv6Prefix) : null)

  /**
   * The login limits, checked before anything is written: the client's own (or, for a client nobody can
   * tell apart, the unknown clients' share), then the process's.
   */
  function admitLogin(request: WebRequest, context: RequestContext): WorkfrontOAuthError | null {
    const key = clientKey(request, context)
    if (key !== null) {
      const wait = perClient.take(key)
      if (wait > 0) {
        return new WorkfrontOAuthError('login_rate_limited', 'Too many sign-ins from here; try again later', {
          retryAfter: wait,
        })
      }
    }
    const wait = (key === null ? unknownClients?.take('') : 0) || (capacity?.take('') ?? 0)
    if (wait === 0) return null
    return new WorkfrontOAuthError(
      'login_capacity_exceeded',
      'Too many sign-ins are in progress; try again in a moment',
      { retryAfter: wait },
    )
  }

  // Not `async`: on the hot path (a session cookie this process has verified) the answer is known at once,
  // without the two async frames (this and `verify`) it used to cost per request.
  function readSigned(headers: HeadersInput, name: string): Promise<string | null> {
    const raw = readCookie(headerValue(headers, 'cookie'), name)
    if (raw === undefined) return NO_COOKIE
    const known = signer.verified(name, raw)
    return known === undefined ? signer.verify(name, raw) : Promise.resolve(known)
  }

  /** The browser's grant id, from the app's session when bound to one, else from the signed cookie. */
  function session(request: { headers: HeadersInput }, context: RequestContext = {}): Promise<string | null> {
    if (context.session) return Promise.resolve(context.session.read())
    return readSigned(request.headers, names.session)
  }

  /** Runs `onSignIn`; its answer is the path to go to. A refusal ends the new grant before it is thrown on. */
  async function signIn(event: SignInEvent): Promise<string> {
    if (!options.onSignIn) return event.returnTo
    try {
      const decision = (await options.onSignIn(event)) || undefined
      return decision?.returnTo === undefined ? event.returnTo : validateReturnTo(decision.returnTo, origin)
    } catch (error) {
      await options.oauth.logout(event.grantId).catch(() => undefined)
      if (isWorkfrontOAuthError(error)) throw error
      throw new WorkfrontOAuthError('internal_error', 'The app could not complete the sign-in', {
        cause: error,
      })
    }
  }

  function sessionNow(
    request: { headers: HeadersInput },
    context: RequestContext,
  ): string | null | undefined {
    if (context.session) {
      const value = context.session.read()
      return typeof value === 'string' || value === null ? value : undefined
    }
    const raw = readCookie(headerValue(request.headers, 'cookie'), names.session)
    return raw === undefined ? null : signer.verified(names.session, raw)
  }

  const flow: WebFlow = {
    cookieNames: names,
    appOrigin: origin,

    async login(request, context = {}) {
      const url = requestURL(request)
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return errorResult(new WorkfrontOAuthError('method_not_allowed', 'Use GET to start signing in'))
      }
      try {
        const returnTo = validateReturnTo(url.searchParams.get('returnTo'), origin)
        const refused = admitLogin(request, context)
        if (refused) return errorResult(refused)
        const tenant = url.searchParams.get('tenant') ?? undefined
        // One binding nonce per browser, reused across tabs so that parallel sign-ins do not cancel out.
        const nonce = (await readSigned(request.headers, names.login)) ?? randomToken(cryptoRandom)
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

    async callback(request, context = {}) {
      const url = requestURL(request)
      if (request.method !== 'GET') {
        return errorResult(new WorkfrontOAuthError('method_not_allowed', 'The callback is a GET request'))
      }
      try {
        const nonce = await readSigned(request.headers, names.login)
        const { grant, returnTo } = await options.oauth.handleCallback(url, { browserBinding: nonce })
        const location = await signIn({
          grantId: grant.id,
          grant,
          user: grant.user,
          request,
          // Checked again on the way out: `startLogin` may have been called with an unchecked value, or the
          // transaction stored by an older version.
          returnTo: safeReturnTo(returnTo, origin),
        })
        // Signing in again in a browser that has a session replaces it: the old grant (and its refresh
        // token, valid for months) must not outlive the session that pointed to it. Best effort: the new
        // sign-in succeeded whatever happens to the old one.
        const previous = await session(request, context)
        if (previous !== null && previous !== grant.id) {
          await options.oauth.logout(previous).catch(() => undefined)
        }
        if (context.session) {
          await context.session.write(grant.id)
          return { type: 'redirect', status: 302, location, cookies: [] }
        }
        return {
          type: 'redirect',
          status: 302,
          location,
          // A fresh session id on every sign-in: no fixation.
          cookies: [cookie(names.session, await signer.sign(names.session, grant.id), sessionMaxAge)],
        }
      } catch (error) {
        return errorResult(error)
      }
    },

    async logout(request, context = {}) {
      const url = requestURL(request)
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
        returnTo = validateReturnTo(url.searchParams.get('returnTo'), origin)
      } catch (error) {
        return errorResult(error)
      }
      const cleared = context.session ? [] : [clearSession()]
      try {
        const grantId = await session(request, context)
        if (grantId !== null) await options.oauth.logout(grantId)
        await context.session?.clear()
        return { type: 'redirect', status: 303, location: returnTo, cookies: cleared }
      } catch (error) {
        // The browser is signed out either way; the error says what could not be cleaned up.
        await Promise.resolve(context.session?.clear()).catch(() => undefined)
        return errorResult(error, cleared)
      }
    },

    session,
    clearSession,
  }
  return { flow, sessionNow }
}

/** An error as a step's result, with its status from the error table; anything untyped is `internal_error`. */
export function errorResult(error: unknown, cookies: CookieInstruction[] = []): WebResult {
  const typed = isWorkfrontOAuthError(error)
    ? error
    : new WorkfrontOAuthError('internal_error', 'Unexpected failure', { cause: error })
  return { type: 'error', status: httpStatusFor(typed.code), error: typed, cookies }
}

/**
 * The request's URL, which must be absolute: the callback's `state`, `code` and tenant are read from it,
 * and `returnTo` is resolved against the app's origin, not against whatever a relative URL would imply.
 * Never echoes the URL: a callback's carries the authorization code.
 */
export function requestURL(request: WebRequest): URL {
  const url = typeof request.url === 'string' && URL.canParse(request.url) ? new URL(request.url) : null
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'The request URL must be absolute (https://app.example.com/auth/callback?…), but it is a path, as ' +
        'Node and Express give it: pass new Request(absoluteRequestURL(req.originalUrl ?? req.url, { origin: ' +
        'appOrigin }), …) of @workfront-oauth/core/adapters (not new URL(path, appOrigin): //host/x names another host), or ' +
        "mount the handler with @workfront-oauth/node's toNodeHandler, which does that",
    )
  }
  return url
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
