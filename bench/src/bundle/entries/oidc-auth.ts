/**
 * @module Bundle entry: `@hono/oidc-auth`: its configuration, the middleware (sign-in redirect, callback,
 * session JWT, refresh) and `getAuth` (Hono itself is left out: the app has it already).
 */
import { getAuth, initOidcAuthMiddleware, oidcAuthMiddleware, processOAuthCallback } from '@hono/oidc-auth'

export default function flow(secret: string) {
  return {
    init: initOidcAuthMiddleware({ OIDC_AUTH_SECRET: secret }),
    middleware: oidcAuthMiddleware(),
    callback: processOAuthCallback,
    getAuth,
  }
}
