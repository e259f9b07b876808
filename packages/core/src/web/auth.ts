/**
 * "Sign in with Workfront" as one Web-standard handler (`Request` → `Response`), with what a protected route
 * needs beside it: the session from bare headers, a guard, and the answer for an error. Every rule a
 * framework binding would otherwise write again lives here: route dispatch under a base path, 405s,
 * `Cache-Control: no-store`, error pages by `Accept` from the error table, and which errors end a session.
 * A binding (Hono, the Node bridge, Next.js route handlers) converts its request and response and nothing more.
 */
import type { WorkfrontClient } from '../api.ts'
import { createWorkfrontClient } from '../api.ts'
import type { WorkfrontOAuth } from '../client.ts'
import { consoleLogger } from '../defaults.ts'
import type { GrantInfo } from '../driver/records.ts'
import { errorActionLink, errorInfo } from '../error-table.ts'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import type { WorkfrontUser } from '../machine.ts'
import type { Logger } from '../ports.ts'
import type { CookieAttributes, CookieInstruction, HeadersInput } from './cookies.ts'
import { headerValue, serializeCookie } from './cookies.ts'
import { createWebFlow, errorResult, requestURL } from './flow.ts'
import type { RequestContext, WebFlow, WebFlowOptions, WebResult } from './flow-types.ts'
import type { ErrorPageContext } from './pages.ts'
import { defaultErrorPage, wantsHTML } from './pages.ts'
import type { WebRequest } from './request.ts'
import { isSameOrigin } from './return-to.ts'

/** Options of `createWebAuth()`: the web flow's, and where its routes live and how errors look. */
export interface WebAuthOptions extends WebFlowOptions {
  /** Where the routes are mounted: `<basePath>/login`, `/callback`, `/logout`. Default `/auth`. */
  basePath?: string
  /**
   * Where the error pages' "Sign in again" button leads. Default: the login route. Multi-tenant apps whose
   * users name their org on a page of their own point it there (e.g. `/`).
   */
  signInUrl?: string
  /**
   * Renders an error for people. Default: a small HTML page for browsers and `{ error: { code, message } }`
   * JSON for other clients. The handler adds `Cache-Control: no-store`, `Retry-After` and the cookies.
   */
  renderError?: (error: WorkfrontOAuthError, page: ErrorPageContext) => Response | Promise<Response>
  /** Where unexpected failures (`internal_error`, with their cause) are reported. Default `console`. */
  logger?: Logger
}

/** What a binding knows about a request (see `RequestContext`), and how to keep work going after it. */
export interface HandlerContext extends RequestContext {
  /**
   * Keeps a promise alive after the response is sent: Workers' `ctx.waitUntil`. Rotated tokens that the
   * store refused are written in the background, and an isolate may otherwise be stopped before that.
   */
  waitUntil?: (promise: Promise<unknown>) => void
}

/** Who is signed in on a request, and their Workfront API client. */
export interface Session {
  /** The grant the browser's session points to. A secret of the browser's: never show or log it. */
  grantId: string
  /** The grant, as the app may show it (no tokens). */
  grant: GrantInfo
  /** Who signed in, as read at sign-in: no API call. Null when the app reads no user. */
  user: WorkfrontUser | null
  /** The Workfront API on behalf of this user. */
  client: WorkfrontClient
}

/**
 * How a route answers a request without a session (or whose session ended): `redirect` to sign in (page
 * routes), `json` 401 (API routes), or `public`: the page is public, so a GET goes to the same address again,
 * signed out.
 */
export type UnauthenticatedMode = 'redirect' | 'json' | 'public'

/** Options of `guard()` and `errorResponse()`. */
export interface GuardOptions extends HandlerContext {
  /**
   * `redirect` (page routes, the default): a GET goes to the login route with `returnTo`; other methods
   * get 401. `json` (API routes): 401 `unauthenticated`. `public` (pages anyone may see): a GET goes to the
   * same address again, signed out; other methods get 401.
   */
  onUnauthenticated?: UnauthenticatedMode
}

/** The guard's verdict: the session, or the response to send instead of the route's. */
export type GuardResult =
  | { session: Session; response?: undefined }
  | { session?: undefined; response: Response }

/**
 * An app behind `serve()`: every request that is not a sign-in route, with who is signed in (null when no
 * one is). Where a route needs a session and there is none, throw `WorkfrontOAuthError('unauthenticated')`.
 */
export type WebApp = (request: Request, session: Session | null) => Response | Promise<Response>

/** Options of `serve()`. */
export interface ServeOptions {
  /**
   * How a request that needed a session (the app threw `unauthenticated`, or an error that ends the
   * session) is answered: a mode, or a function of the request. Default: by `Accept`: `redirect` for a
   * browser asking for a page (HTML), `json` (401) for API clients.
   */
  onUnauthenticated?: UnauthenticatedMode | ((request: WebRequest) => UnauthenticatedMode)
}

/** A cookie jar that sets cookies with options in frameworks' shape (Next.js `cookies()`, and the like). */
export interface CookieStore {
  /** Sets (or, with `maxAge: 0`, clears) one cookie on the response being built. */
  set(name: string, value: string, options: CookieAttributes): unknown
}

/** The sign-in routes as a Web handler, and what protected routes need beside it (see `createWebAuth()`). */
export interface WebAuth {
  /** The steps as data, for bindings that render results themselves. */
  readonly flow: WebFlow
  /** The OAuth client the routes drive. */
  readonly oauth: WorkfrontOAuth
  /** Where the routes live (`/auth`), without a trailing slash. */
  readonly basePath: string
  /** The three routes' paths. */
  readonly paths: { readonly login: string; readonly callback: string; readonly logout: string }
  /** True when `url`'s path is under `basePath`: the requests `handler` answers. */
  handles(url: string | URL): boolean
  /**
   * Answers a request under `basePath`: `GET|HEAD login`, `GET callback`, `POST logout`; 405 for another
   * method on those (with `Allow`), 404 for any other path. Every answer is `Cache-Control: no-store`.
   */
  handler(request: WebRequest, context?: HandlerContext): Promise<Response>
  /** `handler` as Next.js route handlers: `export const { GET, POST } = auth.handlers`. */
  readonly handlers: {
    readonly GET: (request: Request) => Promise<Response>
    readonly POST: (request: Request) => Promise<Response>
  }
  /**
   * A whole app as one fetch handler (`Deno.serve`, `Bun.serve`, a Worker's `fetch`): the sign-in routes,
   * and every other request handed to `app` with the session or null (a session whose grant is gone is
   * null, and its cookie cleared). What `app` throws is answered as `errorResponse` answers it (an
   * `unauthenticated` error goes to sign in, or 401), and rotated tokens still owed to the store go to
   * `context.waitUntil`.
   */
  serve(
    app: WebApp,
    options?: ServeOptions,
  ): (request: Request, context?: HandlerContext) => Promise<Response>
  /**
   * Who is signed in, from the request's headers alone (a server component, middleware, background code):
   * the signed session cookie, and the grant confirmed through the near cache, so a session whose grant was
   * signed out or revoked elsewhere is refused within the near cache's age. Null when no one is.
   */
  getSession(input: { headers: HeadersInput }, context?: RequestContext): Promise<Session | null>
  /**
   * For protected routes: the session, or the response to send instead (a redirect to sign in, or 401,
   * clearing a session whose grant is gone; an error page when the store fails).
   */
  guard(request: WebRequest, options?: GuardOptions): Promise<GuardResult>
  /**
   * The answer for an error a route threw: an error that ends the session (`signInAgain` in the error
   * table: the grant is gone or can no longer be refreshed) clears it and answers as `guard` does without
   * one; others get their error page. Anything untyped is `internal_error`, reported to `logger`.
   */
  errorResponse(error: unknown, request: WebRequest, options?: GuardOptions): Promise<Response>
  /**
   * Signs out from server code (a Next.js Server Action): same-origin check, ends the Workfront session,
   * deletes the grant, and clears the session (in `cookies`, when given). Returns the cookies it cleared.
   */
  signOut(
    input: { headers: HeadersInput; cookies?: CookieStore },
    context?: RequestContext,
  ): Promise<{ cookies: CookieInstruction[] }>
  /**
   * A step's result as the handler answers it (redirect, or the error page by `Accept`, with the cookies and
   * `no-store`): for bindings that run `flow`'s steps themselves.
   */
  toResponse(result: WebResult, request: WebRequest): Promise<Response>
  /** Hands rotated tokens this process still owes the store to `waitUntil` (a no-op when there are none). */
  keepPendingWrites(waitUntil: ((promise: Promise<unknown>) => void) | undefined): void
}

/**
 * "Sign in with Workfront" for any framework: the sign-in routes as one `Request` → `Response` handler, the
 * session from bare headers, a guard for protected routes and the error answers, all from one error table.
 * Mount `handler` under `basePath` (`Deno.serve`, `Bun.serve`, a Worker's `fetch`, `auth.handlers` in
 * Next.js, `toNodeHandler` of `@workfront-oauth/node` for Express, Fastify, Koa and `node:http`).
 */
export function createWebAuth(options: WebAuthOptions): WebAuth {
  const { basePath: base = '/auth', signInUrl, renderError, logger = consoleLogger, ...flowOptions } = options
  const basePath = checkBasePath(base)
  const flow = createWebFlow(flowOptions)
  const { oauth } = flowOptions
  const paths = {
    login: `${basePath}/login`,
    callback: `${basePath}/callback`,
    logout: `${basePath}/logout`,
  } as const
  const signIn = signInUrl ?? paths.login
  const render = renderError ?? defaultErrorPage

  async function errorPage(result: Extract<WebResult, { type: 'error' }>, request: WebRequest) {
    const { error } = result
    if (error.code === 'internal_error' || error.code === 'invalid_transition') {
      ;(logger.error ?? logger.warn).call(logger, 'unexpected failure', { error: error.cause ?? error })
    }
    const info = errorInfo(error.code)
    const url = URL.canParse(request.url) ? new URL(request.url) : null
    const link = errorActionLink(info.action, {
      signInUrl: signIn,
      basePath,
      path: url ? `${url.pathname}${url.search}` : '/',
      method: request.method,
    })
    return render(error, { request, status: result.status, info, link })
  }

  /** The `Response` of a result: redirects as they are, errors as their page; never cached. */
  async function respond(result: WebResult, request: WebRequest, extra?: HeadersInit): Promise<Response> {
    const response =
      result.type === 'redirect'
        ? new Response(null, { status: result.status, headers: { location: result.location } })
        : await errorPage(result, request)
    const headers = new Headers(response.headers)
    headers.set('cache-control', 'no-store')
    if (result.type === 'error' && result.error.retryAfter !== undefined) {
      headers.set('retry-after', String(result.error.retryAfter))
    }
    for (const cookie of result.cookies) headers.append('set-cookie', serializeCookie(cookie))
    for (const [name, value] of new Headers(extra)) headers.set(name, value)
    return new Response(response.body, { status: response.status, headers })
  }

  function keepPendingWrites(waitUntil: ((promise: Promise<unknown>) => void) | undefined): void {
    const pending = oauth.pendingWrites()
    if (pending !== null && waitUntil) waitUntil(pending)
  }

  /** The answer without a session: to the login route (GET, page routes), else 401; a stale session cleared. */
  async function unauthenticated(
    request: WebRequest,
    options: GuardOptions,
    staleSession: boolean,
  ): Promise<Response> {
    const cookies: CookieInstruction[] = []
    if (staleSession) {
      if (options.session) await options.session.clear()
      else cookies.push(flow.clearSession())
    }
    const mode = options.onUnauthenticated ?? 'redirect'
    if (mode !== 'json' && (request.method === 'GET' || request.method === 'HEAD')) {
      const url = requestURL(request)
      const here = `${url.pathname}${url.search}`
      const location = mode === 'public' ? here : `${paths.login}?${new URLSearchParams({ returnTo: here })}`
      return respond({ type: 'redirect', status: 302, location, cookies }, request)
    }
    const error = new WorkfrontOAuthError('unauthenticated', 'Sign in with Workfront to continue')
    return respond({ type: 'error', status: 401, error, cookies }, request)
  }

  /** The browser's grant id, and its session when the grant is still there. */
  async function lookup(
    input: { headers: HeadersInput },
    context: RequestContext,
  ): Promise<{ grantId: string | null; session: Session | null }> {
    const grantId = await flow.session(input, context)
    if (grantId === null) return { grantId, session: null }
    const grant = await oauth.getGrant(grantId, { cached: true })
    if (grant === null) return { grantId, session: null }
    return {
      grantId,
      session: { grantId, grant, user: grant.user, client: createWorkfrontClient(oauth, grantId) },
    }
  }

  async function errorResponse(error: unknown, request: WebRequest, options: GuardOptions = {}) {
    if (isWorkfrontOAuthError(error) && errorInfo(error.code).signInAgain) {
      return unauthenticated(request, options, true)
    }
    return respond(errorResult(error), request)
  }

  function handles(url: string | URL): boolean {
    const { pathname } = typeof url === 'string' ? new URL(url, 'http://localhost') : url
    return pathname === basePath || pathname.startsWith(`${basePath}/`)
  }

  async function handler(request: WebRequest, context: HandlerContext = {}): Promise<Response> {
    const { pathname } = requestURL(request)
    const route =
      pathname === paths.login
        ? { step: flow.login, methods: ['GET', 'HEAD'] }
        : pathname === paths.callback
          ? { step: flow.callback, methods: ['GET'] }
          : pathname === paths.logout
            ? { step: flow.logout, methods: ['POST'] }
            : null
    if (route === null) {
      const error = new WorkfrontOAuthError('not_found', 'There is no such sign-in route')
      return respond({ type: 'error', status: 404, error, cookies: [] }, request)
    }
    if (!route.methods.includes(request.method)) {
      const error = new WorkfrontOAuthError('method_not_allowed', `Use ${route.methods.join(' or ')} here`)
      return respond({ type: 'error', status: 405, error, cookies: [] }, request, {
        allow: route.methods.join(', '),
      })
    }
    try {
      return await respond(await route.step(request, context), request)
    } finally {
      keepPendingWrites(context.waitUntil)
    }
  }

  return {
    flow,
    oauth,
    basePath,
    paths,
    handles,
    handler,
    handlers: {
      GET: (request) => handler(request),
      POST: (request) => handler(request),
    },

    serve(app, options = {}) {
      const { onUnauthenticated } = options
      const modeOf = (request: WebRequest): UnauthenticatedMode =>
        typeof onUnauthenticated === 'function'
          ? onUnauthenticated(request)
          : (onUnauthenticated ?? (wantsHTML(request.headers) ? 'redirect' : 'json'))
      return async (request, context = {}) => {
        if (handles(request.url)) return handler(request, context)
        try {
          const { grantId, session } = await lookup(request, context)
          const response = await app(request, session)
          if (grantId === null || session !== null) return response
          // A session cookie that verified but whose grant is gone (signed out elsewhere, revoked): cleared.
          if (context.session) {
            await context.session.clear()
            return response
          }
          const cleared = new Response(response.body, response)
          cleared.headers.append('set-cookie', serializeCookie(flow.clearSession()))
          return cleared
        } catch (error) {
          return await errorResponse(error, request, { ...context, onUnauthenticated: modeOf(request) })
        } finally {
          keepPendingWrites(context.waitUntil)
        }
      }
    },

    async getSession(input, context = {}) {
      return (await lookup(input, context)).session
    },

    async guard(request, options = {}) {
      try {
        const { grantId, session } = await lookup(request, options)
        if (session) return { session }
        // A session cookie that verified but whose grant is gone (signed out elsewhere, revoked): cleared.
        const stale =
          grantId !== null || headerValue(request.headers, 'cookie')?.includes(flow.cookieNames.session)
        return { response: await unauthenticated(request, options, stale === true) }
      } catch (error) {
        return { response: await errorResponse(error, request, options) }
      }
    },

    errorResponse,

    async signOut(input, context = {}) {
      if (!isSameOrigin(input, flow.appOrigin)) {
        throw new WorkfrontOAuthError('csrf_rejected', 'Sign-out must come from this site')
      }
      const cleared = context.session ? [] : [flow.clearSession()]
      try {
        const grantId = await flow.session(input, context)
        if (grantId !== null) await oauth.logout(grantId)
      } finally {
        // Signed out either way: a failed clean-up must not leave the browser holding its session.
        await context.session?.clear()
        for (const cookie of cleared) input.cookies?.set(cookie.name, cookie.value, cookie.attributes)
      }
      return { cookies: cleared }
    },

    toResponse: (result, request) => respond(result, request),
    keepPendingWrites,
  }
}

/** `/auth`, `/api/auth/`…: one leading slash, no trailing one, plain path characters. */
function checkBasePath(value: string): string {
  const path = value.replace(/\/+$/, '')
  if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(path)) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'basePath is a path such as /auth (letters, digits, - . _ ~)',
    )
  }
  return path
}
