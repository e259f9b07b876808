import { serve } from '@hono/node-server'
import { createWorkfrontOAuth, encryptedStore, memoryStore } from '@workfront-oauth/core'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'
import { Hono } from 'hono'
import { html } from 'hono/html'

function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env and fill it in`)
  return value
}

const publicUrl = process.env.PUBLIC_URL ?? 'http://127.0.0.1:3000'

const oauth = createWorkfrontOAuth({
  clientId: env('WORKFRONT_CLIENT_ID'),
  clientSecret: env('WORKFRONT_CLIENT_SECRET'),
  redirectUri: `${publicUrl}/auth/callback`, // registered in Workfront exactly like this
  baseUrl: env('WORKFRONT_BASE_URL'), // https://<your org>.my.workfront.com
  // Tokens encrypted at rest. One process; for several, see "Running in production".
  store: encryptedStore(memoryStore(), { keys: [{ id: 'k1', key: env('TOKEN_ENCRYPTION_KEY') }] }),
})
const auth = workfrontAuth({ oauth, appOrigin: publicUrl, cookieSecrets: [env('SESSION_SECRET')] })

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

export const server = serve(
  { fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT ?? 3000) },
  () => console.log(`Open ${publicUrl}`),
)
