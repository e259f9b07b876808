import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import type { OptionalWorkfrontEnv, WorkfrontEnv } from '@workfront-oauth/hono-adapter'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'
import { Hono } from 'hono'

const oauth = createWorkfrontOAuth({
  clientId: 'my-client-id',
  clientSecret: 'my-client-secret',
  redirectUri: 'https://app.example.com/auth/callback',
  baseUrl: 'https://acme.my.workfront.com',
  store: memoryStore(), // one process; use @workfront-oauth/redis-store for more
})
const auth = workfrontAuth({
  oauth,
  appOrigin: 'https://app.example.com',
  cookieSecrets: ['at least 32 characters of random secret…'],
})

const app = new Hono()
app.onError(auth.onError)
app.route('/auth', auth.routes()) // GET /auth/login, GET /auth/callback, POST /auth/logout

// A public page: c.var.workfront is there only when someone is signed in.
const site = new Hono<OptionalWorkfrontEnv>()
site.use(auth.optionalAuth())
site.get('/', async (c) => {
  const user = await auth.currentUser(c) // null when signed out
  return c.html(
    user ? `Hello ${user.name}` : '<a href="/auth/login?returnTo=/projects">Sign in with Workfront</a>',
  )
})

// Pages and APIs for signed-in users only: c.var.workfront is always there.
const pages = new Hono<WorkfrontEnv>()
pages.use(auth.requireAuth()) // signed out: redirect to /auth/login?returnTo=…
pages.get('/', async (c) => c.json(await c.var.workfront.search('proj', { fields: ['status'], limit: 50 })))

const api = new Hono<WorkfrontEnv>()
api.use(auth.requireAuth({ onUnauthenticated: 'json' })) // signed out: 401 JSON
api.get('/projects', async (c) =>
  c.json(await c.var.workfront.search('proj', { fields: ['status'], filters: { status: 'CUR' }, limit: 50 })),
)

app.route('/projects', pages)
app.route('/api', api)
app.route('/', site)
export default app
