/**
 * @module `@workfront-oauth/hono-adapter`: "Sign in with Workfront" for Hono apps.
 *
 * Thin by design: the web semantics of the flows (cookies and their attributes, browser binding of
 * `state`, `returnTo` validation, error statuses) live in `@workfront-oauth/core`'s `createWebFlow`; this
 * package translates Hono's context to and from it and adds Hono's idioms (routes, middleware,
 * `c.var.workfront`, `HTTPException`).
 */
import type {
  WebFlow,
  WebFlowOptions,
  WebResult,
  WorkfrontClient,
  WorkfrontOAuth,
} from '@workfront-oauth/core'
import {
  createWebFlow,
  createWorkfrontClient,
  httpStatusFor,
  isWorkfrontOAuthError,
  serializeCookie,
  WorkfrontOAuthError,
} from '@workfront-oauth/core'
import type { Context, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

declare module 'hono' {
  interface ContextVariableMap {
    /** The signed-in user's Workfront API client, set by `requireAuth()`. */
    workfront: WorkfrontClient
  }
}

export type UnauthenticatedMode = 'redirect' | 'json'

export interface WorkfrontAuthOptions extends Omit<WebFlowOptions, 'oauth'> {
  oauth: WorkfrontOAuth
  /** Where the routes are mounted, for redirects to the login route. Default `/auth`. */
  basePath?: string
  /**
   * Renders an error for people: the default is a small HTML page for browsers and JSON for other
   * clients, with the error's stable `code` and a message that contains nothing secret.
   */
  renderError?: (
    c: Context,
    error: WorkfrontOAuthError,
    status: ContentfulStatusCode,
  ) => Response | Promise<Response>
}

export interface RequireAuthOptions {
  /** `redirect` (page routes, the default) sends people to sign in; `json` answers 401 (API routes). */
  onUnauthenticated?: UnauthenticatedMode
}

export interface WorkfrontAuth {
  readonly web: WebFlow
  /** `GET /login`, `GET /callback`, `POST /logout`, to mount with `app.route(basePath, auth.routes())`. */
  routes(): Hono
  /** Requires a signed-in user and puts `c.var.workfront` on the context. */
  requireAuth(options?: RequireAuthOptions): MiddlewareHandler
  /** Maps any error to a response: `WorkfrontOAuthError`s by their code, others as they are. For `app.onError`. */
  onError(error: Error, c: Context): Response | Promise<Response>
}

/** Errors after which the browser must sign in again rather than see an error page. */
const SIGN_IN_AGAIN = new Set([
  'reauthorization_required',
  'grant_not_found',
  'refresh_rejected',
  'unauthenticated',
])

export function workfrontAuth(options: WorkfrontAuthOptions): WorkfrontAuth {
  const { oauth, basePath = '/auth', renderError = defaultRenderError, ...webOptions } = options
  const web = createWebFlow({ oauth, ...webOptions })
  const loginPath = `${basePath.replace(/\/$/, '')}/login`

  async function render(c: Context, result: WebResult): Promise<Response> {
    const response =
      result.type === 'redirect'
        ? new Response(null, { status: result.status, headers: { location: result.location } })
        : await renderError(c, result.error, result.status as ContentfulStatusCode)
    const headers = new Headers(response.headers)
    headers.set('cache-control', 'no-store')
    for (const cookie of result.cookies) headers.append('set-cookie', serializeCookie(cookie))
    return new Response(response.body, { status: response.status, headers })
  }

  function unauthenticated(
    c: Context,
    mode: UnauthenticatedMode,
    clearCookie: boolean,
  ): Response | Promise<Response> {
    const result: WebResult =
      mode === 'redirect' && (c.req.method === 'GET' || c.req.method === 'HEAD')
        ? {
            type: 'redirect',
            status: 302,
            location: `${loginPath}?${new URLSearchParams({ returnTo: currentPath(c) })}`,
            cookies: [],
          }
        : {
            type: 'error',
            status: 401,
            error: new WorkfrontOAuthError('unauthenticated', 'Sign in with Workfront to continue'),
            cookies: [],
          }
    if (clearCookie) result.cookies.push(web.clearSession())
    return render(c, result)
  }

  async function onError(error: Error, c: Context): Promise<Response> {
    const typed = coreError(error)
    if (typed)
      return render(c, { type: 'error', status: httpStatusFor(typed.code), error: typed, cookies: [] })
    if (error instanceof HTTPException) return error.getResponse()
    // Unknown failures get a generic answer; their details stay in the server's logs.
    const generic = new WorkfrontOAuthError('invalid_transition', 'Something went wrong')
    return render(c, { type: 'error', status: 500, error: generic, cookies: [] })
  }

  /** Route results: redirects are returned; errors are thrown as `HTTPException`s carrying their page. */
  async function respond(c: Context, result: WebResult): Promise<Response> {
    const res = await render(c, result)
    if (result.type === 'redirect') return res
    throw new HTTPException(result.status as ContentfulStatusCode, {
      res,
      message: result.error.message,
      cause: result.error,
    })
  }

  return {
    web,

    routes() {
      const app = new Hono()
      app.get('/login', async (c) => respond(c, await web.login(c.req.raw)))
      app.get('/callback', async (c) => respond(c, await web.callback(c.req.raw)))
      app.post('/logout', async (c) => respond(c, await web.logout(c.req.raw)))
      // Other methods on the logout route: 405 with the flow's own error, not a bare 404.
      app.on(['GET', 'PUT', 'DELETE', 'PATCH'], '/logout', async (c) =>
        respond(c, await web.logout(c.req.raw)),
      )
      return app
    },

    requireAuth({ onUnauthenticated = 'redirect' } = {}) {
      return async (c, next) => {
        const grantId = await web.session(c.req.raw)
        if (grantId === null) {
          const hadCookie = c.req.header('cookie')?.includes(web.cookieNames.session) ?? false
          return unauthenticated(c, onUnauthenticated, hadCookie)
        }
        // No storage read here: the grant is read once, when the handler first uses the client.
        c.set('workfront', createWorkfrontClient(oauth, grantId))
        await next()
        const error = coreError(c.error)
        if (!error) return
        if (SIGN_IN_AGAIN.has(error.code)) {
          c.res = await unauthenticated(c, onUnauthenticated, true)
          return
        }
        c.res = await onError(error, c)
      }
    },

    onError,
  }
}

/** The core error behind an error, if any (directly, or as the cause of an `HTTPException`). */
function coreError(error: unknown): WorkfrontOAuthError | null {
  if (isWorkfrontOAuthError(error)) return error
  if (error instanceof HTTPException && isWorkfrontOAuthError(error.cause)) return error.cause
  return null
}

function currentPath(c: Context): string {
  const url = new URL(c.req.url)
  return `${url.pathname}${url.search}`
}

/** Maps a core error to Hono's `HTTPException`, with the status decided by the core. */
export function toHTTPException(error: WorkfrontOAuthError): HTTPException {
  return new HTTPException(httpStatusFor(error.code) as ContentfulStatusCode, {
    message: error.message,
    cause: error,
  })
}

const FRIENDLY: Partial<Record<WorkfrontOAuthError['code'], { title: string; hint: string }>> = {
  access_denied: {
    title: 'Access was not granted',
    hint: 'You chose not to allow access to Workfront. You can sign in again whenever you like.',
  },
  state_expired: { title: 'The sign-in took too long', hint: 'Please start signing in again.' },
  state_mismatch: { title: 'This sign-in link is no longer valid', hint: 'Please start signing in again.' },
  browser_mismatch: {
    title: 'This sign-in was started elsewhere',
    hint: 'Sign-in links only work in the browser that opened them. Please start again here.',
  },
}

async function defaultRenderError(
  c: Context,
  error: WorkfrontOAuthError,
  status: ContentfulStatusCode,
): Promise<Response> {
  const accept = c.req.header('accept') ?? ''
  if (!accept.includes('text/html')) {
    return c.json({ error: { code: error.code, message: error.message } }, status)
  }
  const friendly = FRIENDLY[error.code] ?? { title: 'Signing in with Workfront failed', hint: error.message }
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(friendly.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1d1f}
a{color:#0b5fff}code{background:#f2f2f5;padding:.1rem .3rem;border-radius:.2rem}</style></head>
<body><main><h1>${escapeHTML(friendly.title)}</h1><p>${escapeHTML(friendly.hint)}</p>
<p><a href="/">Back to the start</a></p><p><small>Error code: <code>${escapeHTML(error.code)}</code></small></p></main></body></html>`
  return c.html(html, status)
}

export function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
