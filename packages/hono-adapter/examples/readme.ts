import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
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
app.use('/projects/*', auth.requireAuth()) // pages: redirect to /auth/login
app.use('/api/*', auth.requireAuth({ onUnauthenticated: 'json' })) // APIs: 401 JSON

app.get('/api/projects', async (c) =>
  c.json(await c.var.workfront.search('proj', { fields: ['status'], filters: { status: 'CUR' }, limit: 50 })),
)
export default app
