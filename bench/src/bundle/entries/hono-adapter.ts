/**
 * @module Bundle entry: `@workfront-oauth/hono-adapter` + core: the sign-in routes and the middleware that
 * serves a signed-in user, refreshing when needed (Hono itself is left out: the app has it already).
 */
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'

export default function flow(clientSecret: string, cookieSecret: string) {
  const oauth = createWorkfrontOAuth({
    clientId: 'app',
    clientSecret,
    redirectUri: 'https://app.example.com/auth/callback',
    baseUrl: 'https://acme.my.workfront.com',
    store: memoryStore(),
  })
  const auth = workfrontAuth({ oauth, appOrigin: 'https://app.example.com', cookieSecrets: [cookieSecret] })
  return { routes: auth.routes(), requireAuth: auth.requireAuth(), onError: auth.onError }
}
