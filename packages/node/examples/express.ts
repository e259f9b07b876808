import { createWebAuth, createWorkfrontOAuth, encryptedStore, memoryStore } from '@workfront-oauth/core'
import { escapeHTML } from '@workfront-oauth/core/adapters'
import { errorHandler, requireAuth, toNodeHandler } from '@workfront-oauth/node'
import express from 'express'

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
  // Tokens encrypted at rest. One process; for several, use @workfront-oauth/redis-store.
  store: encryptedStore(memoryStore(), { keys: [{ id: 'k1', key: env('TOKEN_ENCRYPTION_KEY') }] }),
})
const auth = createWebAuth({ oauth, appOrigin: publicUrl, cookieSecrets: [env('SESSION_SECRET')] })

const app = express()
app.use(toNodeHandler(auth)) // GET /auth/login, GET /auth/callback, POST /auth/logout

app.get('/', requireAuth(auth, { onUnauthenticated: 'public' }), (req, res) => {
  const user = req.workfrontSession?.user
  if (!user) return void res.send('<a href="/auth/login?returnTo=/projects">Sign in with Workfront</a>')
  res.send(`<p>Hello ${escapeHTML(user.name ?? user.userID)}</p><p><a href="/projects">Your projects</a></p>
<form method="post" action="/auth/logout"><button>Sign out</button></form>`)
})

app.get('/projects', requireAuth(auth), async (_req, res) => {
  const projects = await res.locals.workfront.search('proj', { fields: ['status'], sort: 'name', limit: 50 })
  res.send(`<ul>${projects.map((p) => `<li>${escapeHTML(`${p.name} (${p.status})`)}</li>`).join('')}</ul>`)
})

app.get('/api/projects', requireAuth(auth, { onUnauthenticated: 'json' }), async (_req, res) => {
  res.json(await res.locals.workfront.search('proj', { fields: ['status'] }))
})

app.use(errorHandler(auth)) // a session that can no longer be refreshed: sign in again

export const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
  console.log(`Open ${publicUrl}`)
})
