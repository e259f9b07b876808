/**
 * The Node bridge of the core's web handler: which requests it answers, what it tells the core about each
 * (the absolute URL, the client's address, the app's session), and `toNodeHandler`, the handler for
 * `node:http`, Express 5 and Connect. Fastify, Koa and Express's guard are built on the same pieces.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { RequestContext, Session, SessionBinding, WebAuth } from '@workfront-oauth/core'
import type { TrustedProxyOptions } from '@workfront-oauth/core/adapters'
import { createClientAddressResolver, headerValue } from '@workfront-oauth/core/adapters'
import type { NodeRequest, URLSource } from './convert.ts'
import {
  fallbackWebRequest,
  nodeRequestURL,
  requestTarget,
  toWebRequest,
  writeWebResponse,
} from './convert.ts'

/** Options of every binding of this package: where a request's URL comes from, and who sent it. */
export interface NodeBridgeOptions {
  /**
   * The app's public origin, the scheme, host and port of every request's URL (Node gives only the path).
   * Default: the `appOrigin` the web auth was created with.
   */
  origin?: string
  /**
   * Take the host of a request's URL from its `Host` header (checked: a malformed one is a 400
   * `bad_request`) instead of `origin`, the scheme staying `origin`'s. Only behind a proxy that sets
   * `Host` itself: a client can send any. Default false.
   */
  trustHost?: boolean
  /**
   * The proxies in front of the app whose forwarding header (`X-Forwarded-For` or `Forwarded`) to believe
   * for the client's address: `{ hops: 1 }` behind one nginx or load balancer. Read as the core's
   * `createClientAddressResolver` reads it. Default: none, the socket's peer is the client.
   */
  trustedProxies?: TrustedProxyOptions
  /**
   * The client's address, for the per-client sign-in limit, when neither the socket's peer
   * (`req.socket.remoteAddress`, the default) nor `trustedProxies` tells it.
   */
  clientAddress?: (req: IncomingMessage) => string | null | undefined
  /**
   * Keeps the grant id in the app's own session instead of the signed session cookie:
   * `session: expressSession()` for an app with express-session.
   */
  session?: (req: IncomingMessage) => SessionBinding | undefined
}

/** `next` of Express and Connect: on, to the next handler, or with an error to the error handlers. */
export type NextFunction = (error?: unknown) => void

/** What `toNodeHandler` returns: a `node:http` request listener, and an Express 5 / Connect middleware. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction) => Promise<void>

/** The bridge's pieces, shared by the bindings (internal). */
export interface Bridge {
  readonly auth: WebAuth
  readonly source: URLSource
  /** True when the request is one for the sign-in routes (its path is under `basePath`). */
  handles(req: IncomingMessage): boolean
  /** The request context the core gets: the client's address and the app's session, when configured. */
  context(req: IncomingMessage): RequestContext
  /**
   * The context a protected route's guard needs: the app's session only. The client's address serves the
   * sign-in limit alone, and reading it costs a protected request for nothing.
   */
  guardContext(req: IncomingMessage): RequestContext
  /** Answers a request for the sign-in routes through the core's handler. */
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>
}

/** The bridge over `auth` with `options` (internal: the bindings' common part). */
export function createBridge(auth: WebAuth, options: NodeBridgeOptions = {}): Bridge {
  const source: URLSource = {
    origin: options.origin ?? auth.flow.appOrigin,
    trustHost: options.trustHost === true,
  }
  new URL(source.origin) // a bad origin fails here, at start-up, not on the first request
  const base = auth.basePath
  const resolver = options.trustedProxies ? createClientAddressResolver(options.trustedProxies) : null
  const peer =
    options.clientAddress ??
    (resolver
      ? (req: IncomingMessage) =>
          resolver({ headers: { get: (name) => headerValue(req.headers, name) } }, req.socket?.remoteAddress)
      : (req: IncomingMessage) => req.socket?.remoteAddress)
  const binding = options.session

  function context(req: IncomingMessage): RequestContext {
    const session = binding?.(req)
    return { clientAddress: peer(req) ?? null, ...(session ? { session } : {}) }
  }

  const noContext: RequestContext = Object.freeze({})
  function guardContext(req: IncomingMessage): RequestContext {
    const session = binding?.(req)
    return session ? { session } : noContext
  }

  function handles(req: IncomingMessage): boolean {
    let target = requestTarget(req as NodeRequest)
    // The absolute form (from a proxy): its path.
    if (!target.startsWith('/')) target = URL.canParse(target) ? new URL(target).pathname : target
    if (!target.startsWith(base)) return false
    const next = target.charAt(base.length)
    return next === '' || next === '/' || next === '?'
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const nodeReq = req as NodeRequest
    const requestContext = context(req)
    let response: Response
    try {
      const request = toWebRequest(nodeReq, nodeRequestURL(nodeReq, source))
      response = await auth.handler(request, requestContext)
    } catch (error) {
      // A target or Host that is no URL of this app (`bad_request`), a header the Fetch API refuses: the
      // core's answer for the error, never a 500 of Node's.
      response = await auth.errorResponse(error, fallbackWebRequest(nodeReq, source), requestContext)
    }
    await writeWebResponse(res, response, req.method)
  }

  return { auth, source, handles, context, guardContext, serve }
}

/**
 * Mounts the core's sign-in routes (`GET <basePath>/login`, `GET <basePath>/callback`,
 * `POST <basePath>/logout`) in `node:http`, Express 5 or Connect: `app.use(toNodeHandler(auth))`, or
 * `http.createServer(toNodeHandler(auth))`. Requests outside `basePath` go to `next()`, or get the core's
 * 404 when there is none. The client's address goes to the per-client sign-in limit.
 */
export function toNodeHandler(auth: WebAuth, options: NodeBridgeOptions = {}): NodeHandler {
  const bridge = createBridge(auth, options)
  return async (req, res, next) => {
    if (next && !bridge.handles(req)) return next()
    try {
      await bridge.serve(req, res)
    } catch (error) {
      if (!next) throw error
      next(error)
    }
  }
}

/**
 * Who is signed in on a Node request, from its headers (the signed session cookie, or the app's session
 * with `options.session`), the grant confirmed through the near cache; null when no one is. No API call.
 */
export function getSession(
  auth: WebAuth,
  req: IncomingMessage,
  options: NodeBridgeOptions = {},
): Promise<Session | null> {
  const session = options.session?.(req)
  return auth.getSession({ headers: req.headers }, session ? { session } : {})
}
