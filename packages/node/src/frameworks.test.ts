/**
 * The bridge in each framework, over real sockets, against the Workfront mock (in-process): node:http,
 * Express 5 (the routes, the guard, the error handler, express-session), Fastify 5 and Koa 3. Each one signs
 * in through the mock's login and consent pages, reaches a protected route, and signs out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { WebAuth } from '@workfront-oauth/core'
import { WorkfrontOAuthError } from '@workfront-oauth/core'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import express from 'express'
import session from 'express-session'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import {
  errorHandler,
  expressSession,
  fastifyHandler,
  getSession,
  koaHandler,
  requireAuth,
  toNodeHandler,
} from './index.ts'
import { createClient, inProcessAuth, listen } from './test/support.ts'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

type Mock = ReturnType<typeof inProcessAuth>['mock']

/** Login → the mock's pages → the callback, through the app at `client`'s origin. */
async function signIn(
  client: ReturnType<typeof createClient>,
  mock: Mock,
  returnTo = '/me',
): Promise<Response> {
  const login = await client.request(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`)
  expect(login.status).toBe(302)
  const callback = await completeAuthorization(mock, login.headers.get('location') as string, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  return client.request(`${callback.pathname}${callback.search}`)
}

/** A server on a free port whose app's origin is its own address. */
async function serve(make: (auth: WebAuth) => Parameters<typeof listen>[0], auth = {}) {
  const port = await reservePort()
  const origin = `http://127.0.0.1:${port}`
  const t = inProcessAuth(origin, { auth })
  const server = await listen(make(t.auth), port)
  closers.push(server.close)
  return { ...t, origin, client: createClient(origin) }
}

async function reservePort(): Promise<number> {
  const probe = await listen(() => undefined)
  await probe.close()
  return probe.port
}

describe('node:http', () => {
  it('answers the routes, 404 elsewhere, and counts sign-ins by the socket’s peer', async () => {
    const t = await serve((auth) => toNodeHandler(auth), { loginRateLimit: { burst: 2, perMinute: 1 } })
    expect((await t.client.request('/elsewhere')).status).toBe(404)
    const wrong = await t.client.request('/auth/logout')
    expect(wrong.status).toBe(405)
    expect(wrong.headers.get('allow')).toBe('POST')
    expect((await t.client.request('/auth/login')).status).toBe(302)
    expect((await t.client.request('/auth/login')).status).toBe(302)
    const limited = await t.client.request('/auth/login')
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).not.toBeNull()
  })

  it('a clientAddress option keys the limit (one key per client behind a proxy)', async () => {
    let n = 0
    const t = await serve((auth) => toNodeHandler(auth, { clientAddress: () => `10.0.0.${++n}` }), {
      loginRateLimit: { burst: 1, perMinute: 1 },
    })
    for (let i = 0; i < 3; i++) expect((await t.client.request('/auth/login')).status).toBe(302)
  })

  it('behind a trusted proxy, counts sign-ins by the forwarded address, not by the proxy', async () => {
    const t = await serve((auth) => toNodeHandler(auth, { trustedProxies: { hops: 1 } }), {
      loginRateLimit: { burst: 1, perMinute: 1 },
    })
    const from = (address: string) => ({ headers: { 'x-forwarded-for': address } })
    expect((await t.client.request('/auth/login', from('198.51.100.1'))).status).toBe(302)
    expect((await t.client.request('/auth/login', from('198.51.100.2'))).status).toBe(302)
    expect((await t.client.request('/auth/login', from('198.51.100.1'))).status).toBe(429)
  })

  it('signs in, reads the session from Node headers, signs out', async () => {
    const t = await serve((auth) => {
      const routes = toNodeHandler(auth)
      return async (req: IncomingMessage, res: ServerResponse) => {
        if (req.url === '/me') {
          const session = await getSession(auth, req)
          res.end(session?.user?.name ?? 'nobody')
        } else await routes(req, res)
      }
    })
    expect((await signIn(t.client, t.mock)).headers.get('location')).toBe('/me')
    expect(await (await t.client.request('/me')).text()).toBe(DEMO_USER.name)
    const out = await t.client.request('/auth/logout', { method: 'POST', headers: { origin: t.origin } })
    expect(out.status).toBe(303)
    expect(await (await t.client.request('/me')).text()).toBe('nobody')
  })
})

describe('Express 5', () => {
  function app(auth: WebAuth, options: { session?: boolean } = {}) {
    const bridge = options.session ? { session: expressSession() } : {}
    const app = express()
    if (options.session) {
      app.use(
        session({ secret: 'express-session-secret-0123456789', resave: false, saveUninitialized: false }),
      )
    }
    app.use(express.urlencoded({ extended: false }))
    app.use(toNodeHandler(auth, bridge))
    app.get('/open', (_req, res) => void res.send('open'))
    app.get('/visit', (req, res) => {
      ;(req.session as unknown as Record<string, unknown>).visited = true
      res.send('visited')
    })
    app.get('/me', requireAuth(auth, bridge), (req, res) => void res.json(req.workfrontSession?.user))
    app.get('/api/count', requireAuth(auth, { ...bridge, onUnauthenticated: 'json' }), async (_req, res) => {
      res.json({ count: await res.locals.workfront.count('proj') })
    })
    app.get('/ended', requireAuth(auth, bridge), () => {
      throw new WorkfrontOAuthError('refresh_rejected', 'The grant can no longer be refreshed')
    })
    app.get('/api/ended', requireAuth(auth, { ...bridge, onUnauthenticated: 'json' }), () => {
      throw new WorkfrontOAuthError('refresh_rejected', 'The grant can no longer be refreshed')
    })
    app.get('/public/ended', requireAuth(auth, { ...bridge, onUnauthenticated: 'public' }), () => {
      throw new WorkfrontOAuthError('refresh_rejected', 'The grant can no longer be refreshed')
    })
    app.use(errorHandler(auth, bridge))
    return app
  }

  it('mounts the routes, passes other paths on, guards pages and API routes', async () => {
    const t = await serve((auth) => app(auth))
    expect(await (await t.client.request('/open')).text()).toBe('open')
    const page = await t.client.request('/me?x=1')
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fme%3Fx%3D1')
    const api = await t.client.request('/api/count')
    expect(api.status).toBe(401)
    expect((await api.json()).error.code).toBe('unauthenticated')
    // A public page let through signed out: an error that ends a session shows the page again, signed out.
    const publicPage = await t.client.request('/public/ended')
    expect(publicPage.status).toBe(302)
    expect(publicPage.headers.get('location')).toBe('/public/ended')

    await signIn(t.client, t.mock)
    expect(await (await t.client.request('/me')).json()).toMatchObject({ name: DEMO_USER.name })
    expect(await (await t.client.request('/api/count')).json()).toEqual({ count: expect.any(Number) })
    // A route's error that ends the session: the cookie cleared, and answered as its guard answers, 401 on
    // an API route…
    const cookie = t.client.cookieHeader()
    const apiEnded = await t.client.request('/api/ended')
    expect(apiEnded.status).toBe(401)
    expect((await apiEnded.json()).error.code).toBe('unauthenticated')
    expect(t.client.jar.has('wf_session')).toBe(false)
    // …and to sign in again on a page.
    t.client.jar.set('wf_session', cookie.replace(/^wf_session=/, ''))
    const ended = await t.client.request('/ended')
    expect(ended.status).toBe(302)
    expect(ended.headers.get('set-cookie')).toMatch(/^wf_session=; Path=\/; Max-Age=0/)
    expect(t.client.jar.has('wf_session')).toBe(false)
  })

  it('lets a session this process knows through at once: no promise, the client on res.locals and req', async () => {
    const t = await serve((auth) => app(auth))
    await signIn(t.client, t.mock)
    const guard = requireAuth(t.auth)
    const req = { method: 'GET', url: '/me', headers: { cookie: t.client.cookieHeader() }, socket: {} }
    const res = { locals: {} as Record<string, unknown> }
    const calls: unknown[][] = []
    const returned = guard(req as never, res as never, (...args: unknown[]) => void calls.push(args))
    expect(returned).toBeUndefined()
    expect(calls).toEqual([[]])
    expect(res.locals.workfrontSession).toMatchObject({ user: { name: DEMO_USER.name } })
    expect(res.locals.workfront).toBe((req as { workfront?: unknown }).workfront)

    // Signed out: the same cookie takes the awaited path, and is refused.
    const out = await t.client.request('/auth/logout', { method: 'POST', headers: { origin: t.origin } })
    expect(out.status).toBe(303)
    const refused = await t.client.request('/api/count', { headers: { cookie: req.headers.cookie } })
    expect(refused.status).toBe(401)
  })

  it('signs out with the form after express.urlencoded() read its body', async () => {
    const t = await serve((auth) => app(auth))
    await signIn(t.client, t.mock)
    const out = await t.client.request('/auth/logout?returnTo=/open', {
      method: 'POST',
      headers: { origin: t.origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/open')
    expect((await t.client.request('/api/count')).status).toBe(401)
  })

  it('keeps the grant in an existing express-session: a new session id at sign-in, no cookie of its own', async () => {
    const t = await serve((auth) => app(auth, { session: true }))
    // The app's session exists before the sign-in.
    await t.client.request('/visit')
    const before = t.client.jar.get('connect.sid')
    expect(before).toBeDefined()
    expect((await signIn(t.client, t.mock)).status).toBe(302)
    expect(t.client.jar.has('wf_session')).toBe(false)
    const after = t.client.jar.get('connect.sid')
    expect(after).toBeDefined()
    expect(after).not.toBe(before)
    expect(await (await t.client.request('/me')).json()).toMatchObject({ name: DEMO_USER.name })
    expect(
      (await t.client.request('/auth/logout', { method: 'POST', headers: { origin: t.origin } })).status,
    ).toBe(303)
    expect((await t.client.request('/api/count')).status).toBe(401)
  })
})

describe('Fastify 5 and Koa 3', () => {
  it('Fastify: the routes answer before body parsing (a urlencoded sign-out), other routes are Fastify’s', async () => {
    const port = await reservePort()
    const origin = `http://127.0.0.1:${port}`
    const t = inProcessAuth(origin)
    const app = Fastify()
    app.addHook('onRequest', fastifyHandler(t.auth))
    app.get('/me', async (request) => (await getSession(t.auth, request.raw))?.user?.name ?? 'nobody')
    await app.listen({ port, host: '127.0.0.1' })
    closers.push(() => app.close())
    const client = createClient(origin)
    await signIn(client, t.mock)
    expect(await (await client.request('/me')).text()).toBe(DEMO_USER.name)
    const out = await client.request('/auth/logout', {
      method: 'POST',
      headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    })
    expect(out.status).toBe(303)
    expect(await (await client.request('/me')).text()).toBe('nobody')
  })

  it('Koa: the routes answer, other requests go on to the next middleware', async () => {
    const port = await reservePort()
    const origin = `http://127.0.0.1:${port}`
    const t = inProcessAuth(origin)
    const app = new Koa()
    app.use(koaHandler(t.auth))
    app.use(async (ctx) => {
      ctx.body = (await getSession(t.auth, ctx.req))?.user?.name ?? 'nobody'
    })
    const server = await listen(app.callback(), port)
    closers.push(server.close)
    const client = createClient(origin)
    await signIn(client, t.mock)
    expect(await (await client.request('/me')).text()).toBe(DEMO_USER.name)
    expect((await client.request('/auth/logout', { method: 'POST', headers: { origin } })).status).toBe(303)
    expect(await (await client.request('/me')).text()).toBe('nobody')
  })
})
