// The glue: one Web-standard fetch handler, the sign-in routes in front of the app.
import type { HandlerContext, WebAuth } from '@workfront-oauth/core'
import { app } from './app.ts'

export function fetchHandler(auth: WebAuth) {
  return async (request: Request, context: HandlerContext = {}): Promise<Response> => {
    if (auth.handles(request.url)) return auth.handler(request, context)
    try {
      return await app(request, await auth.getSession(request, context))
    } catch (error) {
      const onUnauthenticated = new URL(request.url).pathname.startsWith('/api/') ? 'json' : 'redirect'
      return auth.errorResponse(error, request, { ...context, onUnauthenticated })
    } finally {
      auth.keepPendingWrites(context.waitUntil) // Workers: rotated tokens the store refused, written later
    }
  }
}
