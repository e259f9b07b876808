// The glue: the sign-in routes in front of the app, as one Web-standard fetch handler.
import type { HandlerContext } from '@workfront-oauth/core'
import { app } from './app.ts'
import { auth } from './auth.ts'

export const handler: (request: Request, context?: HandlerContext) => Promise<Response> = auth.serve(app)
