/**
 * "Sign in with Workfront" as one Web-standard handler (`Request` → `Response`), with what a protected route
 * needs beside it: the session from bare headers, a guard, and the answer for an error. Every rule a
 * framework binding would otherwise write again lives here: route dispatch under a base path, 405s,
 * `Cache-Control: no-store`, error pages by `Accept` from the error table, and which errors end a session.
 * A binding (Hono, the Node bridge, Next.js route handlers) converts its request and response and nothing more.
 */
import { createWorkfrontClient } from '../api.ts'
import { peekGrant } from '../client.ts'
import { consoleLogger } from '../defaults.ts'
import type { GrantInfo } from '../driver/records.ts'
import { errorActionLink, errorInfo } from '../error-table.ts'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import type {
  GuardOptions,
  HandlerContext,
  Session,
  UnauthenticatedMode,
  WebAuth,
  WebAuthOptions,
} from './auth-types.ts'
import type { CookieInstruction, HeadersInput } from './cookies.ts'
import { headerValue, serializeCookie } from './cookies.ts'
import { errorResult, requestURL, webFlow } from './flow.ts'
import type { RequestContext, WebResult } from './flow-types.ts'
import { defaultErrorPage, wantsHTML } from './pages.ts'
import type { WebRequest } from './request.ts'
import { isSameOrigin } from './return-to.ts'

/**
 * "Sign in with Workfront" for any framework: the sign-in routes as one `Request` → `Response` handler, the
 * session from bare headers, a guard for protected routes and the error answers, all from one error table.
 * Mount `handler` under `basePath` (`Deno.serve`, `Bun.serve`, a Worker's `fetch`, `auth.handlers` in
 * Next.js, `toNodeHandler` of `@workfront-oauth/node` for Express, Fastify, Koa and `node:http`).
 */
export function createWebAuth(options: WebAuthOptions): WebAuth {
  const { basePath: base = '/auth', signInUrl, renderError, logger = consoleLogger, ...flowOptions } = options
  const basePath = checkBasePath(base)
  const { flow, sessionNow } = webFlow(flowOptions)
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

  /**
   * One frozen session (and its client) per stored version of the grant (`getGrant` hands every request the
   * same frozen info until the grant changes): a protected request creates nothing.
   */
  const sessions = new WeakMap<GrantInfo, Session>()
  function sessionOf(grant: GrantInfo): Session {
    let session = sessions.get(grant)
    if (session === undefined) {
      const client = createWorkfrontClient(oauth, grant.id)
      session = Object.freeze({ grantId: grant.id, grant, user: grant.user, client })
      sessions.set(grant, session)
    }
    return session
  }
  /** The browser's grant id, and its session when the grant is still there. */
  async function lookup(
    input: { headers: HeadersInput },
    context: RequestContext,
  ): Promise<{ grantId: string | null; session: Session | null }> {
    const grantId = await flow.session(input, context)
    if (grantId === null) return { grantId, session: null }
    const grant = await oauth.getGrant(grantId, { cached: true })
    return { grantId, session: grant === null ? null : sessionOf(grant) }
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

    peekSession(input, context = {}) {
      const grantId = sessionNow(input, context)
      if (!grantId) return undefined
      const grant = peekGrant(oauth, grantId)
      return grant === undefined ? undefined : sessionOf(grant)
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
