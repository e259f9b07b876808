/**
 * Express 5: protected routes over the core's guard (`requireAuth`), the answer for a route's error that
 * ends the session (`errorHandler`), and express-session as the place the grant id is kept
 * (`expressSession`). The guard's rules (which cookie, the grant confirmed through the near cache, 401 or a
 * redirect, the cookie cleared) are the core's; this file passes Express's objects through.
 */
import type { IncomingMessage } from 'node:http'
import type {
  GuardOptions,
  RequestContext,
  Session,
  SessionBinding,
  UnauthenticatedMode,
  WebAuth,
  WorkfrontClient,
} from '@workfront-oauth/core'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '@workfront-oauth/core'
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express'
import type { NextFunction, NodeBridgeOptions } from './bridge.ts'
import { createBridge } from './bridge.ts'
import type { NodeRequest } from './convert.ts'
import {
  fallbackWebRequest,
  lazyRequestURL,
  nodeRequestURL,
  nodeWebRequest,
  writeWebResponse,
} from './convert.ts'

/** What `requireAuth()` puts on `res.locals` (typed in the routes after it) and on `req`. */
export interface WorkfrontLocals {
  /** The signed-in user's Workfront API client. */
  workfront: WorkfrontClient
  /** Who is signed in (grant, user), read without an API call. */
  workfrontSession: Session
}

declare global {
  namespace Express {
    interface Request {
      /** The signed-in user's Workfront API client, on routes behind `requireAuth()`. */
      workfront?: WorkfrontClient
      /** Who is signed in, on routes behind `requireAuth()`. */
      workfrontSession?: Session
    }
  }
}

/** Options of `requireAuth()`: the bridge's, and how a request without a session is answered. */
export interface RequireAuthOptions extends NodeBridgeOptions {
  /**
   * `redirect` (page routes, the default): a GET goes to the login route with `returnTo`, other methods get
   * 401. `json` (API routes): 401 `unauthenticated`. `public`: the route runs signed out (no `workfront`).
   */
  onUnauthenticated?: UnauthenticatedMode
}

/** How the request was let through: read by `errorHandler`, on `res.locals` (internal). */
const MODE = Symbol('workfront-oauth.onUnauthenticated')
type GuardedLocals = { [MODE]?: UnauthenticatedMode }

/**
 * Requires a signed-in user whose grant still exists, and puts their Workfront client on `res.locals`
 * (typed in the handlers that follow) and on `req.workfront`. Without one, answers as the core decides:
 * a redirect to sign in, or 401, clearing a session whose grant is gone; a store that fails answers 503.
 *
 * A session this process has seen (its cookie verified, its grant in the near cache) is let through at
 * once, without a promise; any other goes through the core's guard.
 */
export function requireAuth(
  auth: WebAuth,
  options: RequireAuthOptions = {},
  // biome-ignore lint/suspicious/noExplicitAny: as Express's own handlers: any route's params, bodies, query
): RequestHandler<any, any, any, any, WorkfrontLocals> {
  const { onUnauthenticated = 'redirect', ...bridgeOptions } = options
  const bridge = createBridge(auth, bridgeOptions)

  async function guard(req: Request, res: Response, next: NextFunction, context: RequestContext) {
    const nodeReq = req as NodeRequest
    const guardOptions: GuardOptions = { ...context, onUnauthenticated }
    try {
      let url: string | (() => string)
      try {
        url = lazyRequestURL(nodeReq, bridge.source)
      } catch (error) {
        await writeWebResponse(
          res,
          await auth.errorResponse(error, fallbackWebRequest(nodeReq, bridge.source), guardOptions),
        )
        return
      }
      const request = nodeWebRequest(nodeReq, url)
      if (onUnauthenticated === 'public') {
        const session = await auth.getSession(request, guardOptions).catch(() => null)
        if (session) attach(req, res, session)
      } else {
        const { session, response } = await auth.guard(request, guardOptions)
        if (response) {
          await writeWebResponse(res, response, req.method)
          return
        }
        attach(req, res, session)
      }
      ;(res.locals as GuardedLocals)[MODE] = onUnauthenticated
    } catch (error) {
      return next(error)
    }
    next()
  }

  return (req, res, next) => {
    const context = bridge.guardContext(req)
    let session: Session | undefined
    try {
      session = auth.peekSession(req, context)
    } catch {
      // An app session that fails to read: the guard answers it.
    }
    if (session === undefined) return guard(req, res, next, context)
    attach(req, res, session)
    ;(res.locals as GuardedLocals)[MODE] = onUnauthenticated
    next()
  }
}

function attach(req: Request, res: Response, session: Session): void {
  const locals = res.locals as Partial<WorkfrontLocals>
  locals.workfront = session.client
  locals.workfrontSession = session
  req.workfront = session.client
  req.workfrontSession = session
}

/**
 * Express error middleware for the core's errors (`app.use(errorHandler(auth))`, after the routes): one
 * that ends the session (the grant can no longer be refreshed) clears it and answers as `requireAuth` does
 * without one; the others get their error page (HTML or JSON by `Accept`) and status. Other errors go on
 * to the app's own error handlers.
 */
export function errorHandler(auth: WebAuth, options: NodeBridgeOptions = {}): ErrorRequestHandler {
  const bridge = createBridge(auth, options)
  return async (error, req, res, next) => {
    if (!isWorkfrontOAuthError(error) || res.headersSent) return next(error)
    const nodeReq = req as NodeRequest
    const mode = (res.locals as GuardedLocals | undefined)?.[MODE]
    const guard: GuardOptions = { ...bridge.guardContext(req), ...(mode ? { onUnauthenticated: mode } : {}) }
    try {
      let request = fallbackWebRequest(nodeReq, bridge.source)
      try {
        request = nodeWebRequest(nodeReq, nodeRequestURL(nodeReq, bridge.source).href)
      } catch {
        // Answered at the app's home address.
      }
      await writeWebResponse(res, await auth.errorResponse(error, request, guard), req.method)
    } catch (failure) {
      next(failure)
    }
  }
}

/** The part of express-session's `req.session` this binding uses. */
interface ExpressSessionLike {
  regenerate(callback: (error?: unknown) => void): unknown
  save(callback: (error?: unknown) => void): unknown
  [key: string]: unknown
}

/** Options of `expressSession()`. */
export interface ExpressSessionOptions {
  /** The field of `req.session` that holds the grant id. Default `workfrontGrantId`. */
  key?: string
}

/**
 * Keeps the grant id in express-session's `req.session` instead of the signed session cookie, for an app
 * that has its sessions already: `toNodeHandler(auth, { session: expressSession() })`, and the same option
 * for `requireAuth`. Signing in regenerates the session (a new session id: no fixation), as Passport does;
 * signing out removes the grant id. A session store that fails is a 503 `store_unavailable`.
 */
export function expressSession(
  options: ExpressSessionOptions = {},
): (req: IncomingMessage) => SessionBinding {
  const key = options.key ?? 'workfrontGrantId'
  const current = (req: IncomingMessage): ExpressSessionLike => {
    const session = (req as { session?: ExpressSessionLike }).session
    if (!session) {
      throw new WorkfrontOAuthError(
        'invalid_options',
        'req.session is missing: mount express-session before the auth',
      )
    }
    return session
  }
  const settle = (run: (done: (error?: unknown) => void) => unknown): Promise<void> =>
    new Promise((resolve, reject) => {
      run((error) =>
        error
          ? reject(new WorkfrontOAuthError('store_unavailable', 'The session store failed', { cause: error }))
          : resolve(),
      )
    })
  return (req) => ({
    read() {
      const value = current(req)[key]
      return typeof value === 'string' ? value : null
    },
    async write(grantId) {
      await settle((done) => current(req).regenerate(done))
      current(req)[key] = grantId
      await settle((done) => current(req).save(done))
    },
    async clear() {
      const session = current(req)
      if (session[key] === undefined) return
      delete session[key]
      await settle((done) => session.save(done))
    },
  })
}
