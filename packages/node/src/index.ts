/**
 * @module `@workfront-oauth/node`: "Sign in with Workfront" in Node apps.
 *
 * A bridge and nothing more: every rule (routes, cookies, the guard, which errors end a session, error
 * pages) is `createWebAuth` of `@workfront-oauth/core`. This package converts Node's requests and responses
 * for it (one converter for every framework), gives it the request's absolute URL and the client's
 * address, and mounts it in `node:http`, Express 5, Connect, Fastify 5 and Koa 3.
 */
export type { NextFunction, NodeBridgeOptions, NodeHandler } from './bridge.ts'
export { getSession, toNodeHandler } from './bridge.ts'
export type { ExpressSessionOptions, RequireAuthOptions, WorkfrontLocals } from './express.ts'
export { errorHandler, expressSession, requireAuth } from './express.ts'
export type { FastifyLike, KoaContextLike } from './frameworks.ts'
export { fastifyHandler, koaHandler } from './frameworks.ts'
