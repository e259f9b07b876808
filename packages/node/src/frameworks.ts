/**
 * Fastify 5 and Koa 3: the same bridge, handed Node's own request and response the frameworks keep
 * (`request.raw` / `reply.raw`, `ctx.req` / `ctx.res`), with the framework told to stay out of the answer.
 * Typed by shape, so neither framework is a dependency.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebAuth } from '@workfront-oauth/core'
import type { NodeBridgeOptions } from './bridge.ts'
import { createBridge } from './bridge.ts'

/** The part of Fastify's request and reply the hook uses. */
export interface FastifyLike {
  /** Fastify's request: Node's own request is `raw`. */
  request: { raw: IncomingMessage }
  /** Fastify's reply: Node's own response is `raw`; `hijack()` tells Fastify the answer is written. */
  reply: { raw: ServerResponse; hijack(): unknown }
}

/**
 * The sign-in routes as a Fastify `onRequest` hook: `app.addHook('onRequest', fastifyHandler(auth))`.
 * It answers requests under `basePath` before Fastify parses a body (a sign-out form is urlencoded, which
 * Fastify does not parse by itself), and lets every other request through.
 */
export function fastifyHandler(
  auth: WebAuth,
  options: NodeBridgeOptions = {},
): (request: FastifyLike['request'], reply: FastifyLike['reply']) => Promise<void> {
  const bridge = createBridge(auth, options)
  return async (request, reply) => {
    if (!bridge.handles(request.raw)) return
    reply.hijack()
    await bridge.serve(request.raw, reply.raw)
  }
}

/** The part of Koa's context the middleware uses. */
export interface KoaContextLike {
  /** Node's own request. */
  req: IncomingMessage
  /** Node's own response. */
  res: ServerResponse
  /** Set to false: Koa leaves the response to this middleware. */
  respond?: boolean
}

/**
 * The sign-in routes as Koa middleware: `app.use(koaHandler(auth))`. Requests under `basePath` are answered
 * (Koa's own response handling is turned off for them); the others go on to `next()`.
 */
export function koaHandler(
  auth: WebAuth,
  options: NodeBridgeOptions = {},
): (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void> {
  const bridge = createBridge(auth, options)
  return async (ctx, next) => {
    if (!bridge.handles(ctx.req)) {
      await next()
      return
    }
    ctx.respond = false
    await bridge.serve(ctx.req, ctx.res)
  }
}
