/**
 * Child process: one Express 5 app on a free loopback port, serving `GET /r` one way (`VARIANT`):
 *
 * - `express-bare`: the route alone;
 * - `express-session-redis`: behind express-session with connect-redis (node-redis), the route reading the
 *   signed-in user from the session: what an Express app with server-side sessions pays per request;
 * - `express-bridge-memory` / `express-bridge-redis`: `@workfront-oauth/node` (`toNodeHandler` for the
 *   sign-in routes, `requireAuth` on the route) with a valid session, the route reading the user's access
 *   token (what a handler needs to call Workfront), memory or Redis store. The session was opened by a real
 *   sign-in through the bridge's routes over HTTP.
 *
 * It answers the parent's `cpu` requests with `process.cpuUsage()`, as `server.ts` does.
 */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createWebAuth, memoryStore, type StoragePort } from '@workfront-oauth/core'
import { requireAuth, toNodeHandler } from '@workfront-oauth/node'
import { redisStore } from '@workfront-oauth/redis-store'
import { RedisStore } from 'connect-redis'
import express from 'express'
import session from 'express-session'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import { benchOAuth, createBenchMock } from '../lib/bench-mock.ts'
import { APP_ORIGIN, COOKIE_SECRET, KEY_PREFIX } from '../lib/constants.ts'
import { ready, serveParent } from '../lib/ipc.ts'

export type ExpressVariant =
  | 'express-bare'
  | 'express-session-redis'
  | 'express-bridge-memory'
  | 'express-bridge-redis'

const variant = process.env.VARIANT as ExpressVariant
const redisURL = process.env.REDIS_URL as string

const app = express()
const closers: Array<() => Promise<unknown> | unknown> = []
/** How the variant's valid session is obtained once the server listens: its `Cookie` header. */
let openSession: (origin: string) => Promise<string> = async () => ''

switch (variant) {
  case 'express-bare':
    app.get('/r', (_req, res) => void res.send('ok'))
    break
  case 'express-session-redis': {
    const client = createClient({ url: redisURL })
    await client.connect()
    closers.push(() => client.quit())
    app.use(
      session({
        store: new RedisStore({ client, prefix: 'bench:sess:' }),
        secret: COOKIE_SECRET,
        resave: false,
        saveUninitialized: false,
      }),
    )
    app.get('/login', (req, res) => {
      ;(req.session as unknown as Record<string, unknown>).user = 'demo@acme.test'
      res.send('ok')
    })
    app.get('/r', (req, res) => {
      const user = (req.session as unknown as Record<string, unknown>).user
      res.send(user ? 'ok' : 'no session')
    })
    openSession = async (origin) => {
      const login = await fetch(`${origin}/login`)
      const cookie = login.headers.getSetCookie()[0]?.split(';')[0]
      if (!cookie) throw new Error('express-session set no cookie')
      return cookie
    }
    break
  }
  case 'express-bridge-memory':
  case 'express-bridge-redis': {
    let store: StoragePort & { close?(): Promise<void> }
    if (variant === 'express-bridge-redis') {
      const redis = new Redis(redisURL, { maxRetriesPerRequest: 1 })
      store = redisStore({ client: redis, keyPrefix: KEY_PREFIX })
      closers.push(
        () => store.close?.(),
        () => redis.disconnect(),
      )
    } else {
      store = memoryStore()
    }
    const mock = createBenchMock()
    const oauth = benchOAuth(mock, store)
    const auth = createWebAuth({ oauth, appOrigin: APP_ORIGIN, cookieSecrets: [COOKIE_SECRET] })
    app.use(toNodeHandler(auth))
    app.get('/r', requireAuth(auth, { onUnauthenticated: 'json' }), async (_req, res) => {
      const token = await oauth.getAccessToken(res.locals.workfront.grantId)
      res.send(token.accessToken ? 'ok' : 'no token')
    })
    openSession = async (origin) => {
      // A real sign-in over HTTP through the bridge (the mock consents at once).
      const login = await fetch(`${origin}/auth/login?returnTo=/r`, { redirect: 'manual' })
      const loginCookie = login.headers.getSetCookie()[0]?.split(';')[0]
      const consent = await mock.fetch(new Request(login.headers.get('location') ?? ''))
      const callback = new URL(consent.headers.get('location') ?? '')
      const signedIn = await fetch(`${origin}${callback.pathname}${callback.search}`, {
        headers: { cookie: loginCookie ?? '' },
        redirect: 'manual',
      })
      const cookie = signedIn.headers
        .getSetCookie()
        .map((line) => line.split(';')[0] as string)
        .find((pair) => pair.startsWith('wf_session='))
      if (signedIn.status !== 302 || !cookie) throw new Error(`callback answered ${signedIn.status}`)
      return cookie
    }
    break
  }
  default:
    throw new Error(`unknown VARIANT ${String(variant)}`)
}

const server: Server = app.listen(0, '127.0.0.1', async () => {
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const cookie = await openSession(origin)
  // Check the wiring once before reporting ready: a valid session must be served, not refused.
  const probe = await fetch(`${origin}/r`, { headers: cookie ? { cookie } : {} })
  const text = await probe.text()
  if (probe.status !== 200 || text !== 'ok') {
    console.error(`${variant}: GET /r answered ${probe.status} ${text}`)
    process.exit(1)
  }
  ready({ port: (server.address() as AddressInfo).port, cookie })
})

serveParent(
  (message) => {
    if (message.type === 'cpu') return process.cpuUsage()
    throw new Error(`unknown request ${message.type}`)
  },
  async () => {
    server.close()
    for (const close of closers) await close()
  },
)
