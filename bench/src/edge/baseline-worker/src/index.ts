/**
 * @module The baseline Worker: the best-known Hono auth middleware protecting an app, its sign-in callback
 * mounted, and a public home page (what the start-time benchmark requests first).
 */
import { getAuth, oidcAuthMiddleware, processOAuthCallback } from '@hono/oidc-auth'
import { Hono } from 'hono'

const app = new Hono()
app.get('/', (c) => c.text('ok'))
app.get('/callback', (c) => processOAuthCallback(c))
app.use('/app/*', oidcAuthMiddleware())
app.get('/app/me', async (c) => c.json(await getAuth(c)))

export default app
