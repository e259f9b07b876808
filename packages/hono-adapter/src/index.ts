/**
 * @module `@workfront-oauth/hono-adapter`: "Sign in with Workfront" for Hono apps.
 *
 * Thin by design: the web semantics of the flows (cookies and their attributes, browser binding of
 * `state`, `returnTo` validation, error statuses) live in `@workfront-oauth/core`'s `createWebFlow`; this
 * package translates Hono's context to and from it and adds Hono's idioms (routes, middleware,
 * `c.var.workfront`, `HTTPException`).
 */
import type {
  ErrorCode,
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
  WorkfrontOAuthError,
} from '@workfront-oauth/core'
import { serializeCookie } from '@workfront-oauth/core/adapters'
import type { Context, ExecutionContext, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The variables `requireAuth()` sets: `c.var.workfront`, the signed-in user's Workfront API client. */
export interface WorkfrontVariables {
  workfront: WorkfrontClient
}

/** The Hono env of routes behind `requireAuth()`: `c.var.workfront` is always there. */
export interface WorkfrontEnv {
  Variables: WorkfrontVariables
}

/** The Hono env of routes behind `optionalAuth()`: `c.var.workfront` is there only when someone is signed in. */
export interface OptionalWorkfrontEnv {
  Variables: Partial<WorkfrontVariables>
}

/** Who is signed in, from Workfront (`GET session`, then `GET user/<userID>`). */
export interface WorkfrontUser {
  userID: string
  /** The user's display name; null when Workfront gives none. */
  name: string | null
  username: string | null
  emailAddr: string | null
}

/** What `requireAuth()` does for a request without a session: redirect to sign-in, or answer 401 JSON. */
export type UnauthenticatedMode = 'redirect' | 'json'

/** What an error page should offer: sign in again, try the same thing again, or go back to the start. */
export type ErrorAction = 'sign-in' | 'retry' | 'home'

/** What an error page says: a title, a hint, and the action that fits the error. */
export interface ErrorAdvice {
  title: string
  hint: string
  action: ErrorAction
}

/** Options of `workfrontAuth()`: the web flow's options, the OAuth client, and where the routes live. */
export interface WorkfrontAuthOptions extends Omit<WebFlowOptions, 'oauth'> {
  oauth: WorkfrontOAuth
  /** Where the routes are mounted, for redirects to the login route. Default `/auth`. */
  basePath?: string
  /**
   * Where the error pages' "Sign in again" button leads. Default: the login route. Multi-tenant apps whose
   * users name their org on a page of their own point it there (e.g. `/`).
   */
  signInUrl?: string
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

/** Options of `requireAuth()`. */
export interface RequireAuthOptions {
  /** `redirect` (page routes, the default) sends people to sign in; `json` answers 401 (API routes). */
  onUnauthenticated?: UnauthenticatedMode
}

/** The Hono binding of the web flow: routes, middleware, the current user and an error handler. */
export interface WorkfrontAuth {
  readonly web: WebFlow
  /** `GET /login`, `GET /callback`, `POST /logout`, to mount with `app.route(basePath, auth.routes())`. */
  routes(): Hono
  /** Requires a signed-in user and puts `c.var.workfront` on the context. */
  requireAuth(options?: RequireAuthOptions): MiddlewareHandler<WorkfrontEnv>
  /**
   * For pages that anyone may see: puts `c.var.workfront` on the context when someone is signed in, and
   * leaves it absent otherwise. When the grant turns out to be gone, the session cookie is cleared and a
   * `GET` is sent to the same address again, now signed out.
   */
  optionalAuth(): MiddlewareHandler<OptionalWorkfrontEnv>
  /**
   * Who is signed in, read from Workfront once per request (two API calls), or null on a route where no one
   * is. Errors are the core's (`reauthorization_required` when the grant is gone…).
   */
  currentUser(c: Context): Promise<WorkfrontUser | null>
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

/**
 * "Sign in with Workfront" for a Hono app: `/login`, `/callback` and `/logout` routes, a signed session
 * cookie, and middleware that puts a Workfront API client on `c.var.workfront`.
 */
export function workfrontAuth(options: WorkfrontAuthOptions): WorkfrontAuth {
  const { oauth, basePath = '/auth', signInUrl, renderError: customRender, ...webOptions } = options
  const web = createWebFlow({ oauth, ...webOptions })
  const loginPath = `${basePath.replace(/\/$/, '')}/login`
  const renderError = customRender ?? defaultRenderError({ signInUrl: signInUrl ?? loginPath, basePath })
  const users = new WeakMap<Request, Promise<WorkfrontUser>>()

  async function render(c: Context, result: WebResult): Promise<Response> {
    const response =
      result.type === 'redirect'
        ? new Response(null, { status: result.status, headers: { location: result.location } })
        : await renderError(c, result.error, result.status as ContentfulStatusCode)
    const headers = new Headers(response.headers)
    headers.set('cache-control', 'no-store')
    if (result.type === 'error' && result.error.retryAfter !== undefined) {
      headers.set('retry-after', String(result.error.retryAfter))
    }
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

  /**
   * Hands the writes the core still owes the store (rotated tokens it holds after a refused write) to the
   * platform: a Worker's isolate may be stopped once the response is sent unless they are passed to
   * `waitUntil`. On Node there is no execution context (Hono throws when asked for it) and the process lives on.
   */
  function keepPendingWrites(c: Context): void {
    const pending = oauth.pendingWrites()
    if (pending === null) return
    let executionCtx: ExecutionContext
    try {
      executionCtx = c.executionCtx
    } catch {
      return
    }
    executionCtx.waitUntil(pending)
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
      app.use(async (c, next) => {
        try {
          await next()
        } finally {
          keepPendingWrites(c)
        }
      })
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
        try {
          await next()
        } finally {
          keepPendingWrites(c)
        }
        const error = coreError(c.error)
        if (!error) return
        if (SIGN_IN_AGAIN.has(error.code)) {
          c.res = await unauthenticated(c, onUnauthenticated, true)
          return
        }
        c.res = await onError(error, c)
      }
    },

    optionalAuth() {
      return async (c, next) => {
        const grantId = await web.session(c.req.raw)
        if (grantId !== null) c.set('workfront', createWorkfrontClient(oauth, grantId))
        try {
          await next()
        } finally {
          keepPendingWrites(c)
        }
        const error = coreError(c.error)
        if (!error) return
        if (grantId !== null && SIGN_IN_AGAIN.has(error.code)) {
          // The page is public: show it again, signed out, rather than an error or a sign-in form.
          const again: WebResult =
            c.req.method === 'GET' || c.req.method === 'HEAD'
              ? { type: 'redirect', status: 302, location: currentPath(c), cookies: [web.clearSession()] }
              : { type: 'error', status: 401, error, cookies: [web.clearSession()] }
          c.res = await render(c, again)
          return
        }
        c.res = await onError(error, c)
      }
    },

    currentUser(c) {
      const client = c.get('workfront') as WorkfrontClient | undefined
      if (!client) return Promise.resolve(null)
      let user = users.get(c.req.raw)
      if (!user) {
        user = readUser(client)
        users.set(c.req.raw, user)
        // A failed read is not remembered: the next call of the request tries again.
        user.catch(() => users.delete(c.req.raw))
      }
      return user
    },

    onError,
  }
}

async function readUser(client: WorkfrontClient): Promise<WorkfrontUser> {
  const { userID } = await client.session()
  const user = await client.get('user', userID, { fields: ['username', 'emailAddr'] })
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null)
  return { userID, name: text(user.name), username: text(user.username), emailAddr: text(user.emailAddr) }
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

const SIGN_IN_AGAIN_HINT = 'Please sign in again.'

/** What each error means to the person who sees it, and the one action that helps. */
const ADVICE: Record<ErrorCode, ErrorAdvice> = {
  state_expired: {
    title: 'The sign-in took too long',
    hint: 'The sign-in was not completed in time. Please sign in again.',
    action: 'sign-in',
  },
  state_mismatch: {
    title: 'This sign-in link is no longer valid',
    hint: 'It was already used, or it is too old. Please sign in again.',
    action: 'sign-in',
  },
  browser_mismatch: {
    title: 'This sign-in was started elsewhere',
    hint: 'Sign-in links only work in the browser that opened them. Please sign in again here.',
    action: 'sign-in',
  },
  invalid_callback: {
    title: 'The sign-in could not be completed',
    hint: 'Workfront’s answer was incomplete. Please sign in again.',
    action: 'sign-in',
  },
  access_denied: {
    title: 'Access was not granted',
    hint: 'You chose not to allow access to Workfront. You can sign in again whenever you like.',
    action: 'sign-in',
  },
  authorization_error: {
    title: 'Workfront refused the sign-in',
    hint: 'Workfront reported a problem with this app. Please tell its administrator.',
    action: 'home',
  },
  code_rejected: {
    title: 'The sign-in could not be completed',
    hint: 'Workfront did not accept the sign-in. Please sign in again.',
    action: 'sign-in',
  },
  tenant_mismatch: {
    title: 'The answer came from another Workfront organization',
    hint: 'The sign-in was started for one organization and answered for another. Please sign in again.',
    action: 'sign-in',
  },
  tenant_ambiguous: {
    title: 'Which Workfront address does your organization use?',
    hint: 'Please sign in again and type your organization’s full Workfront address.',
    action: 'sign-in',
  },
  invalid_tenant: {
    title: 'That is not a Workfront organization',
    hint: 'Check the organization’s address and try again.',
    action: 'sign-in',
  },
  tenant_not_allowed: {
    title: 'That Workfront organization is not allowed',
    hint: 'This app only signs in to the organizations it was set up for.',
    action: 'home',
  },
  refresh_rejected: { title: 'Your Workfront session ended', hint: SIGN_IN_AGAIN_HINT, action: 'sign-in' },
  reauthorization_required: {
    title: 'Your Workfront session ended',
    hint: SIGN_IN_AGAIN_HINT,
    action: 'sign-in',
  },
  grant_not_found: { title: 'Your Workfront session ended', hint: SIGN_IN_AGAIN_HINT, action: 'sign-in' },
  unauthenticated: {
    title: 'Please sign in',
    hint: 'Sign in with Workfront to continue.',
    action: 'sign-in',
  },
  decryption_failed: {
    title: 'Your session could not be read',
    hint: 'Please sign in again.',
    action: 'sign-in',
  },
  unknown_encryption_key: {
    title: 'Your session cannot be read here yet',
    hint: 'This app is being updated. Please try again in a moment.',
    action: 'retry',
  },
  token_endpoint_unreachable: {
    title: 'Workfront cannot be reached',
    hint: 'Its sign-in service did not answer. Please try again in a moment.',
    action: 'retry',
  },
  unexpected_response: {
    title: 'Workfront answered unexpectedly',
    hint: 'Please try again in a moment.',
    action: 'retry',
  },
  refresh_timeout: {
    title: 'Workfront is slow to answer',
    hint: 'Renewing your session took too long. Please try again.',
    action: 'retry',
  },
  store_unavailable: {
    title: 'Sessions are unavailable',
    hint: 'The session store does not answer. Please try again in a moment.',
    action: 'retry',
  },
  api_unreachable: {
    title: 'Workfront cannot be reached',
    hint: 'Its API did not answer. Please try again in a moment.',
    action: 'retry',
  },
  rate_limited: {
    title: 'Workfront asks us to slow down',
    hint: 'Too many requests at once. Please wait a moment and try again.',
    action: 'retry',
  },
  api_error: {
    title: 'Workfront refused the request',
    hint: 'The Workfront API answered with an error.',
    action: 'home',
  },
  invalid_path: {
    title: 'That request cannot be sent to Workfront',
    hint: 'The app asked for something Workfront does not offer.',
    action: 'home',
  },
  uri_too_long: {
    title: 'That request is too long for Workfront',
    hint: 'Ask for fewer fields or results at once.',
    action: 'home',
  },
  jwt_rejected: {
    title: 'Workfront refused this app',
    hint: 'The app’s server connection to Workfront is not set up correctly. Please tell its administrator.',
    action: 'home',
  },
  invalid_private_key: {
    title: 'Something went wrong',
    hint: 'The app is not set up correctly.',
    action: 'home',
  },
  invalid_return_to: {
    title: 'That return address is not allowed',
    hint: 'After signing in you can only return to a page of this site.',
    action: 'home',
  },
  csrf_rejected: {
    title: 'Request refused',
    hint: 'This action only works from this site’s own pages.',
    action: 'home',
  },
  method_not_allowed: {
    title: 'Not like this',
    hint: 'This address does not accept that kind of request.',
    action: 'home',
  },
  invalid_options: {
    title: 'Something went wrong',
    hint: 'The app is not set up correctly.',
    action: 'home',
  },
  invalid_transition: { title: 'Something went wrong', hint: 'Please try again later.', action: 'home' },
  login_rate_limited: {
    title: 'Too many sign-ins from here',
    hint: 'Please wait a minute before signing in again.',
    action: 'retry',
  },
  login_capacity_exceeded: {
    title: 'Too many people are signing in right now',
    hint: 'Please try again in a moment.',
    action: 'retry',
  },
  client_rejected: {
    title: 'This app is misconfigured',
    hint: 'Workfront did not accept the app’s own credentials. Nothing is wrong with your account: the people who run this app have been told.',
    action: 'home',
  },
}

/**
 * The title, explanation and action for an error page, by code: what the default error pages show, for
 * apps that render their own.
 */
export function errorAdvice(code: ErrorCode): ErrorAdvice {
  return ADVICE[code] ?? ADVICE.invalid_transition
}

/** The label and target of an error page's button, for a request to `path`. */
export function errorActionLink(
  action: ErrorAction,
  options: { signInUrl: string; basePath: string; path: string; method: string },
): { label: string; href: string } {
  if (action === 'sign-in') return { label: 'Sign in again', href: options.signInUrl }
  // Trying the same GET again helps; repeating a callback or a POST does not.
  const repeatable =
    options.method === 'GET' && !options.path.startsWith(`${options.basePath.replace(/\/$/, '')}/`)
  if (action === 'retry') return { label: 'Try again', href: repeatable ? options.path : '/' }
  return { label: 'Back to the start', href: '/' }
}

function defaultRenderError(links: { signInUrl: string; basePath: string }) {
  return async (c: Context, error: WorkfrontOAuthError, status: ContentfulStatusCode): Promise<Response> => {
    const accept = c.req.header('accept') ?? ''
    if (!accept.includes('text/html')) {
      return c.json({ error: { code: error.code, message: error.message } }, status)
    }
    const advice = errorAdvice(error.code)
    const link = errorActionLink(advice.action, { ...links, path: currentPath(c), method: c.req.method })
    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(advice.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1d1f}
a{color:#0b5fff}code{background:#f2f2f5;padding:.1rem .3rem;border-radius:.2rem}</style></head>
<body><main><h1>${escapeHTML(advice.title)}</h1><p>${escapeHTML(advice.hint)}</p>
<p><a href="${escapeHTML(link.href)}">${escapeHTML(link.label)}</a></p><p><small>Error code: <code>${escapeHTML(error.code)}</code></small></p></main></body></html>`
    return c.html(html, status)
  }
}

function escapeHTML(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)
}
