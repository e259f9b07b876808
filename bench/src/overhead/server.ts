/**
 * Child process: one Hono app on a free loopback port, serving `GET /r` one way (`VARIANT`):
 *
 * - `bare`: the route alone;
 * - `redis-get`: the route doing one plain Redis GET (the floor of any server-side session store);
 * - `oidc-auth`: behind `@hono/oidc-auth` with a valid session cookie (a JWT it verifies per request);
 * - `adapter-memory` / `adapter-redis`: behind our adapter's `requireAuth()` with a valid session, the route
 *   reading the user's access token (what a handler needs to call Workfront), memory or Redis store.
 *
 * It answers the parent's `cpu` requests with `process.cpuUsage()`, so that CPU per request is the
 * server's own.
 */
import { serve } from '@hono/node-server'
import { getAuth, initOidcAuthMiddleware, oidcAuthMiddleware } from '@hono/oidc-auth'
import { memoryStore, type StoragePort } from '@workfront-oauth/core'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'
import { redisStore } from '@workfront-oauth/redis-store'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import { Hono } from 'hono'
import { sign } from 'hono/jwt'
import { Redis } from 'ioredis'
import { benchOAuth, createBenchMock } from '../lib/bench-mock.ts'
import { APP_ORIGIN, COOKIE_SECRET, KEY_PREFIX } from '../lib/constants.ts'
import { ready, serveParent } from '../lib/ipc.ts'

export type Variant = 'bare' | 'redis-get' | 'oidc-auth' | 'adapter-memory' | 'adapter-redis'

const variant = process.env.VARIANT as Variant
const redisURL = process.env.REDIS_URL
const OIDC_SECRET = 'bench-oidc-session-secret-for-the-local-mock-only'

let redis: Redis | undefined
let store: (StoragePort & { close?(): Promise<void> }) | undefined
const app = new Hono()
let cookie = ''

switch (variant) {
  case 'bare':
    app.get('/r', (c) => c.text('ok'))
    break
  case 'redis-get': {
    const client = new Redis(redisURL as string, { maxRetriesPerRequest: 1 })
    redis = client
    await client.set('bench:floor', 'a-session-record')
    app.get('/r', async (c) => {
      await client.get('bench:floor')
      return c.text('ok')
    })
    break
  }
  case 'oidc-auth': {
    app.use(
      '/r',
      initOidcAuthMiddleware({
        OIDC_AUTH_SECRET: OIDC_SECRET,
        OIDC_ISSUER: 'https://idp.example.com',
        OIDC_CLIENT_ID: 'bench-client',
        OIDC_CLIENT_SECRET: 'bench-secret',
      }),
      oidcAuthMiddleware(),
    )
    app.get('/r', async (c) => {
      const auth = await getAuth(c)
      return c.text(auth?.sub ? 'ok' : 'no session')
    })
    // A valid session as the middleware itself would have issued it after a sign-in: an HS256 JWT with
    // the claims it checks (`rtkexp` in the future: no refresh; `ssnexp` in the future: not expired).
    const at = Math.floor(Date.now() / 1000)
    const jwt = await sign(
      {
        sub: DEMO_USER.username,
        email: DEMO_USER.username,
        rtk: 'a-refresh-token',
        rtkexp: at + 24 * 3600,
        ssnexp: at + 24 * 3600,
      },
      OIDC_SECRET,
      'HS256',
    )
    cookie = `oidc-auth=${jwt}`
    break
  }
  case 'adapter-memory':
  case 'adapter-redis': {
    if (variant === 'adapter-redis') {
      redis = new Redis(redisURL as string, { maxRetriesPerRequest: 1 })
      store = redisStore({ client: redis, keyPrefix: KEY_PREFIX })
    } else {
      store = memoryStore()
    }
    const mock = createBenchMock()
    const oauth = benchOAuth(mock, store)
    const auth = workfrontAuth({ oauth, appOrigin: APP_ORIGIN, cookieSecrets: [COOKIE_SECRET] })
    app.onError(auth.onError)
    app.route('/auth', auth.routes())
    app.get('/r', auth.requireAuth({ onUnauthenticated: 'json' }), async (c) => {
      const token = await oauth.getAccessToken(c.var.workfront.grantId)
      return c.text(token.accessToken ? 'ok' : 'no token')
    })
    cookie = await signIn(app, mock.fetch)
    break
  }
  default:
    throw new Error(`unknown VARIANT ${String(variant)}`)
}

/** A real sign-in through the adapter's routes and the mock's authorize endpoint (automatic consent). */
async function signIn(app: Hono, workfront: (request: Request) => Promise<Response>): Promise<string> {
  const login = await app.request(`${APP_ORIGIN}/auth/login?returnTo=/r`)
  const authorizeURL = login.headers.get('location')
  const loginCookie = login.headers.getSetCookie()[0]?.split(';')[0]
  if (login.status !== 302 || !authorizeURL || !loginCookie) throw new Error(`login answered ${login.status}`)
  const consent = await workfront(new Request(authorizeURL))
  const callbackURL = consent.headers.get('location')
  if (consent.status !== 302 || !callbackURL) throw new Error(`authorize answered ${consent.status}`)
  const callback = await app.request(callbackURL, { headers: { cookie: loginCookie } })
  const session = callback.headers
    .getSetCookie()
    .map((line) => line.split(';')[0] as string)
    .find((pair) => pair.startsWith('wf_session='))
  if (callback.status !== 302 || !session) throw new Error(`callback answered ${callback.status}`)
  return session
}

const server = serve({ hostname: '127.0.0.1', port: 0, fetch: app.fetch }, async (info) => {
  // Check the wiring once before reporting ready: a valid session must be served, not redirected.
  const probe = await fetch(`http://127.0.0.1:${info.port}/r`, { headers: cookie ? { cookie } : {} })
  const text = await probe.text()
  if (probe.status !== 200 || text !== 'ok') {
    console.error(`${variant}: GET /r answered ${probe.status} ${text}`)
    process.exit(1)
  }
  ready({ port: info.port, cookie })
})

serveParent(
  (message) => {
    if (message.type === 'cpu') return process.cpuUsage()
    throw new Error(`unknown request ${message.type}`)
  },
  async () => {
    server.close()
    await store?.close?.()
    redis?.disconnect()
  },
)
