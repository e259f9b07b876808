import { durableObjectStore, WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'
import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { createWorkfrontOAuth, encryptedStore } from '@workfront-oauth/core'
import type { WorkfrontAuth } from '@workfront-oauth/hono-adapter'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'
import { Hono } from 'hono'
import { html } from 'hono/html'

// The store's Durable Object class, exported by the Worker's main module (wrangler.jsonc binds it).
export { WorkfrontOAuthStore }

/** Bindings and `vars` of wrangler.jsonc, and secrets (`.dev.vars` locally, `wrangler secret put` deployed). */
export interface Env {
  WORKFRONT_OAUTH_STORE: DurableObjectNamespace<WorkfrontOAuthStore>
  PUBLIC_URL: string
  WORKFRONT_BASE_URL: string
  WORKFRONT_CLIENT_ID: string
  WORKFRONT_CLIENT_SECRET: string
  SESSION_SECRET: string
  TOKEN_ENCRYPTION_KEY: string
}

/** Built from the first request's env, then kept for the isolate's life: one app per isolate. */
function createApp(env: Env): Hono {
  const oauth: WorkfrontOAuth = createWorkfrontOAuth({
    clientId: env.WORKFRONT_CLIENT_ID,
    clientSecret: env.WORKFRONT_CLIENT_SECRET,
    redirectUri: `${env.PUBLIC_URL}/auth/callback`,
    baseUrl: env.WORKFRONT_BASE_URL,
    // Shared by every isolate (a sign-in may end in another one), one refresh per grant across all of them;
    // it holds no connection, so it can live as long as the isolate. Tokens encrypted before they get there.
    store: encryptedStore(durableObjectStore({ namespace: env.WORKFRONT_OAUTH_STORE }), {
      keys: [{ id: 'k1', key: env.TOKEN_ENCRYPTION_KEY }],
    }),
  })
  const auth: WorkfrontAuth = workfrontAuth({
    oauth,
    appOrigin: env.PUBLIC_URL,
    cookieSecrets: [env.SESSION_SECRET],
  })

  const app = new Hono()
  app.onError(auth.onError)
  app.route('/auth', auth.routes()) // GET /auth/login, GET /auth/callback, POST /auth/logout

  app.get('/', auth.optionalAuth(), async (c) => {
    const user = await auth.currentUser(c)
    if (!user) return c.html(html`<a href="/auth/login?returnTo=/projects">Sign in with Workfront</a>`)
    return c.html(html`<p>Hello ${user.name}</p>
<p><a href="/projects">Your projects</a></p>
<form method="post" action="/auth/logout"><button>Sign out</button></form>`)
  })

  app.get('/projects', auth.requireAuth(), async (c) => {
    const projects = await c.var.workfront.search('proj', { fields: ['status'], sort: 'name', limit: 50 })
    return c.html(html`<ul>
${projects.map((project) => html`<li>${project.name} (${project.status})</li>`)}
</ul>`)
  })
  return app
}

let app: Hono | undefined

export default {
  fetch(request, env, ctx) {
    app ??= createApp(env) // env arrives with each request; the app is built once
    return app.fetch(request, env, ctx)
  },
} satisfies ExportedHandler<Env>
