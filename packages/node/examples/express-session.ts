import { createWebAuth, createWorkfrontOAuth, encryptedStore } from '@workfront-oauth/core'
import { escapeHTML } from '@workfront-oauth/core/adapters'
import { errorHandler, expressSession, requireAuth, toNodeHandler } from '@workfront-oauth/node'
import { redisStore } from '@workfront-oauth/redis-store'
import express from 'express'
import session from 'express-session'
import { Redis } from 'ioredis'

function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env and fill it in`)
  return value
}

const publicUrl = process.env.PUBLIC_URL ?? 'http://127.0.0.1:3000'
export const redis = new Redis(env('REDIS_URL')) // shared by every instance of the app

const oauth = createWorkfrontOAuth({
  clientId: env('WORKFRONT_CLIENT_ID'),
  clientSecret: env('WORKFRONT_CLIENT_SECRET'),
  redirectUri: `${publicUrl}/auth/callback`,
  baseUrl: env('WORKFRONT_BASE_URL'),
  store: encryptedStore(redisStore({ client: redis }), {
    keys: [{ id: 'k1', key: env('TOKEN_ENCRYPTION_KEY') }],
  }),
})
const auth = createWebAuth({ oauth, appOrigin: publicUrl, cookieSecrets: [env('SESSION_SECRET')] })

const app = express()
// The app's session as it already is (give it its production store, e.g. connect-redis).
app.use(session({ secret: env('SESSION_SECRET'), resave: false, saveUninitialized: false }))

const bridge = { session: expressSession() } // the grant id lives in req.session
app.use(toNodeHandler(auth, bridge))

app.get('/', requireAuth(auth, { ...bridge, onUnauthenticated: 'public' }), (req, res) => {
  if (!req.workfrontSession)
    return void res.send('<a href="/auth/login?returnTo=/projects">Sign in with Workfront</a>')
  res.send(
    '<a href="/projects">Your projects</a><form method="post" action="/auth/logout"><button>Sign out</button></form>',
  )
})

app.get('/projects', requireAuth(auth, bridge), async (_req, res) => {
  const projects = await res.locals.workfront.search('proj', { fields: ['status'], sort: 'name', limit: 50 })
  res.send(`<ul>${projects.map((p) => `<li>${escapeHTML(`${p.name} (${p.status})`)}</li>`).join('')}</ul>`)
})

app.get('/api/projects', requireAuth(auth, { ...bridge, onUnauthenticated: 'json' }), async (_req, res) => {
  res.json(await res.locals.workfront.search('proj', { fields: ['status'] }))
})

app.use(errorHandler(auth, bridge))

export const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1')
