/**
 * @module `@workfront-oauth/hono-adapter`: "Sign in with Workfront" for Hono apps.
 *
 * A binding and nothing more: every rule (routes, cookies, the guard, which errors end a session, error
 * pages) is `createWebAuth` of `@workfront-oauth/core`. This package mounts its handler as Hono routes,
 * runs its guard as middleware that puts `c.var.workfront` on the context, and hands work that must outlive
 * the response to the Workers execution context.
 */
import type {
  GuardOptions,
  Session,
  UnauthenticatedMode,
  WebAuth,
  WebAuthOptions,
  WorkfrontClient,
  WorkfrontOAuthError,
  WorkfrontUser,
} from '@workfront-oauth/core'
import { createWebAuth, httpStatusFor, isWorkfrontOAuthError } from '@workfront-oauth/core'
import type { Context, MiddlewareHandler } from 'hono'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export type { UnauthenticatedMode, WorkfrontUser }

/** The variables `requireAuth()` sets: the user's Workfront API client, and their session. */
export interface WorkfrontVariables {
  /** The signed-in user's Workfront API client. */
  workfront: WorkfrontClient
  /** Who is signed in (grant, user), read without an API call. */
  workfrontSession: Session
}

/** The Hono env of routes behind `requireAuth()`: `c.var.workfront` is always there. */
export interface WorkfrontEnv {
  /** `c.var.workfront` and `c.var.workfrontSession`, set by the guard. */
  Variables: WorkfrontVariables
}

/** The Hono env of routes behind `optionalAuth()`: `c.var.workfront` is there only when someone is signed in. */
export interface OptionalWorkfrontEnv {
  /** The same variables, absent when no one is signed in. */
  Variables: Partial<WorkfrontVariables>
}

/** Options of `workfrontAuth()`: those of the core's `createWebAuth`, and where a request comes from. */
export interface WorkfrontAuthOptions extends WebAuthOptions {
  /**
   * The client's address, for the per-client sign-in limit. Default: the socket's peer on Node
   * (`@hono/node-server`), `CF-Connecting-IP` on Cloudflare Workers, else none. Behind your own proxies,
   * resolve it with `createClientAddressResolver` of `@workfront-oauth/core/adapters`.
   */
  clientAddress?: (c: Context) => string | null | undefined
}

/** Options of `requireAuth()`. */
export interface RequireAuthOptions {
  /** `redirect` (page routes, the default) sends people to sign in; `json` answers 401 (API routes). */
  onUnauthenticated?: UnauthenticatedMode
}

/** The Hono binding of the web handler: routes, middleware, the current user and an error handler. */
export interface WorkfrontAuth {
  /** The core's handler and guard this binding mounts. */
  readonly web: WebAuth
  /** `GET /login`, `GET /callback`, `POST /logout`, to mount with `app.route(basePath, auth.routes())`. */
  routes(): Hono
  /**
   * Requires a signed-in user whose grant still exists and puts `c.var.workfront` (and
   * `c.var.workfrontSession`) on the context. An error of the route that ends the session sends the user to
   * sign in again (or 401).
   */
  requireAuth(options?: RequireAuthOptions): MiddlewareHandler<WorkfrontEnv>
  /**
   * For pages that anyone may see: puts `c.var.workfront` on the context when someone is signed in, and
   * leaves it absent otherwise. When the grant turns out to be gone, the session is cleared and a `GET` is
   * sent to the same address again, now signed out.
   */
  optionalAuth(): MiddlewareHandler<OptionalWorkfrontEnv>
  /** Who is signed in on this request, as read at sign-in (no API call), or null. */
  currentUser(c: Context): Promise<WorkfrontUser | null>
  /** Maps any error to a response: `WorkfrontOAuthError`s by their code, others as they are. For `app.onError`. */
  onError(error: Error, c: Context): Response | Promise<Response>
}

/**
 * "Sign in with Workfront" for a Hono app: `/login`, `/callback` and `/logout` routes, a signed session
 * cookie, and middleware that puts a Workfront API client on `c.var.workfront`.
 */
export function workfrontAuth(options: WorkfrontAuthOptions): WorkfrontAuth {
  const { clientAddress = defaultClientAddress, ...webOptions } = options
  const web = createWebAuth(webOptions)

  /**
   * What the core gets of a request: `waitUntil`, and the client's address for the sign-in routes (their
   * per-client limit) — a guard (`onUnauthenticated` given) has no use for it, so does not read it.
   */
  const context = (c: Context, onUnauthenticated?: UnauthenticatedMode): GuardOptions => {
    const waitUntil = executionContext(c)
    return {
      ...(onUnauthenticated ? { onUnauthenticated } : { clientAddress: clientAddress(c) ?? null }),
      ...(waitUntil ? { waitUntil } : {}),
    }
  }

  /** The route's error, if it is one of the core's (thrown, or the cause of an `HTTPException`). */
  const coreError = (error: unknown): WorkfrontOAuthError | null =>
    isWorkfrontOAuthError(error)
      ? error
      : error instanceof HTTPException && isWorkfrontOAuthError(error.cause)
        ? error.cause
        : null

  /** Runs the route, hands held writes to the platform, and answers a core error the way the core says. */
  async function around(c: Context, next: () => Promise<void>, guard: GuardOptions): Promise<void> {
    try {
      await next()
    } finally {
      web.keepPendingWrites(guard.waitUntil)
    }
    const error = coreError(c.error)
    if (!error) return
    const response = await web.errorResponse(error, c.req.raw, guard)
    // Replaced, not merged: Hono's setter would copy the error handler's headers (Location, Set-Cookie)
    // over this answer's.
    c.res = undefined
    c.res = response
  }

  return {
    web,

    routes() {
      const app = new Hono()
      // Every method, so that the core answers 405 with `Allow` and 404 as it does everywhere.
      app.all('*', (c) => web.handler(c.req.raw, context(c)))
      return app
    },

    requireAuth({ onUnauthenticated = 'redirect' } = {}) {
      return async (c, next) => {
        const guard = context(c, onUnauthenticated)
        // A session this isolate knows (cookie verified, grant in the near cache) needs no awaited guard.
        let session = web.peekSession(c.req.raw)
        if (session === undefined) {
          const checked = await web.guard(c.req.raw, guard)
          if (checked.response) return checked.response
          session = checked.session
        }
        c.set('workfront', session.client)
        c.set('workfrontSession', session)
        await around(c, next, guard)
      }
    },

    optionalAuth() {
      return async (c, next) => {
        const guard = context(c, 'public')
        const session = await web.getSession(c.req.raw, guard).catch(() => null)
        if (session) {
          c.set('workfront', session.client)
          c.set('workfrontSession', session)
        }
        await around(c, next, guard)
      }
    },

    async currentUser(c) {
      return (c.get('workfrontSession') as Session | undefined)?.user ?? null
    },

    onError(error, c) {
      if (!coreError(error) && error instanceof HTTPException) return error.getResponse()
      // Core errors by their code; unknown failures get a generic answer (the core reports them to its logger).
      return web.errorResponse(coreError(error) ?? error, c.req.raw, context(c))
    },
  }
}

/** Maps a core error to Hono's `HTTPException`, with the status the core's error table gives. */
export function toHTTPException(error: WorkfrontOAuthError): HTTPException {
  return new HTTPException(httpStatusFor(error.code) as ContentfulStatusCode, {
    message: error.message,
    cause: error,
  })
}

/**
 * The client's address where the runtime tells it: `@hono/node-server` passes the socket in `c.env`, and
 * Cloudflare sets `CF-Connecting-IP` on every request it forwards to a Worker (nobody else can).
 */
function defaultClientAddress(c: Context): string | null {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined
  const peer = env?.incoming?.socket?.remoteAddress
  if (peer) return peer
  const runtime = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent
  if (runtime === 'Cloudflare-Workers') return c.req.header('cf-connecting-ip') ?? null
  return null
}

/** `waitUntil` of the Workers execution context; on Node there is none (Hono throws when asked). */
function executionContext(c: Context): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx
    return (promise) => ctx.waitUntil(promise)
  } catch {
    return undefined
  }
}
