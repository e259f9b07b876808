/**
 * @module The minimal Worker of ours: Hono, `@workfront-oauth/hono-adapter` with its routes, the Durable
 * Object store, a public home page (what the start-time benchmark requests first) and one protected route —
 * the same app as the baseline Worker (`../baseline-worker/`), for a fair size and start comparison.
 */
import { durableObjectStore, WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'
import { createWorkfrontOAuth } from '@workfront-oauth/core'
import { type WorkfrontEnv, workfrontAuth } from '@workfront-oauth/hono-adapter'
import { Hono } from 'hono'

export { WorkfrontOAuthStore }

interface Env {
  WORKFRONT_OAUTH_STORE: DurableObjectNamespace<WorkfrontOAuthStore>
  PUBLIC_URL: string
  WORKFRONT_BASE_URL: string
  WORKFRONT_CLIENT_ID: string
  WORKFRONT_CLIENT_SECRET: string
  SESSION_SECRET: string
}

function createApp(env: Env): Hono {
  const oauth = createWorkfrontOAuth({
    clientId: env.WORKFRONT_CLIENT_ID,
    clientSecret: env.WORKFRONT_CLIENT_SECRET,
    redirectUri: `${env.PUBLIC_URL}/auth/callback`,
    baseUrl: env.WORKFRONT_BASE_URL,
    store: durableObjectStore({ namespace: env.WORKFRONT_OAUTH_STORE }),
  })
  const auth = workfrontAuth({ oauth, appOrigin: env.PUBLIC_URL, cookieSecrets: [env.SESSION_SECRET] })
  const app = new Hono()
  app.onError(auth.onError)
  app.get('/', (c) => c.text('ok'))
  app.route('/auth', auth.routes())
  const protectedApp = new Hono<WorkfrontEnv>()
  protectedApp.use(auth.requireAuth())
  protectedApp.get('/me', async (c) => c.json(await auth.currentUser(c)))
  app.route('/app', protectedApp)
  return app
}

/** One app per isolate: the store holds the namespace binding, which `env` brings with the first request. */
let app: Hono | undefined

export default {
  fetch(request, env, ctx) {
    app ??= createApp(env)
    return app.fetch(request, env, ctx)
  },
} satisfies ExportedHandler<Env>
