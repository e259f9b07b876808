/**
 * `createWebAuth` as an app without a framework uses it: a plain `fetch(request)` handler that mounts the
 * sign-in routes and guards two routes, signing in against the Workfront mock with a cookie-keeping browser.
 */
import { createBrowser } from '@workfront-oauth/test-kit'
import type { MockApp } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import type { WorkfrontOAuthOptions } from '../client.ts'
import { createWorkfrontOAuth } from '../client.ts'
import { errorInfo } from '../error-table.ts'
import { ErrorCode, isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import { memoryStore } from '../memory-store.ts'
import type { Logger } from '../ports.ts'
import { createFakeClock } from '../testing.ts'
import { createWebAuth } from './auth.ts'
import type { GuardOptions, WebAuthOptions } from './auth-types.ts'
import type { CookieAttributes } from './cookies.ts'
import type { SessionBinding } from './flow-types.ts'

const APP = 'https://app.example.com'
const SECRET = 'client-secret-that-must-never-leak'
const COOKIE_SECRET = 'cookie-secret-that-must-never-leak-0123456789'
const SESSION = '__Host-wf_session'

function setup(options: { auth?: Partial<WebAuthOptions>; oauth?: Partial<WorkfrontOAuthOptions> } = {}) {
  const app: MockApp = {
    clientId: 'web-app',
    clientSecrets: [SECRET],
    redirectUris: [`${APP}/auth/callback`],
    type: 'web',
    rotation: true,
  }
  const mock = createWorkfrontMock({ apps: [app] })
  const store = memoryStore()
  const logged: unknown[][] = []
  const logger: Logger = { warn: (...args) => logged.push(args) }
  const oauth = createWorkfrontOAuth({
    clientId: app.clientId,
    clientSecret: SECRET,
    redirectUri: `${APP}/auth/callback`,
    baseUrl: `https://${mock.host}`,
    store,
    http: (input, init) => mock.fetch(new Request(input, init)),
    logger,
    ...options.oauth,
  })
  const auth = createWebAuth({
    oauth,
    appOrigin: APP,
    cookieSecrets: [COOKIE_SECRET],
    logger,
    ...options.auth,
  })
  const guardOptions = (path: string): GuardOptions => ({
    onUnauthenticated: path.startsWith('/api/') ? 'json' : 'redirect',
  })

  /** The whole app: the sign-in routes, and every other path behind the guard. */
  async function fetch(request: Request): Promise<Response> {
    if (auth.handles(request.url)) return auth.handler(request)
    const path = new URL(request.url).pathname
    const { session, response } = await auth.guard(request, guardOptions(path))
    if (response) return response
    try {
      if (path === '/api/me') return Response.json(session.user)
      return Response.json(await session.client.search('proj'))
    } catch (error) {
      return auth.errorResponse(error, request, guardOptions(path))
    }
  }
  const browser = () => createBrowser(fetch, { origin: APP })

  /** Login → the mock's login and consent pages → the callback URL, in `b`. */
  async function authorize(b: ReturnType<typeof browser>, returnTo = '/projects'): Promise<URL> {
    const login = await b.request(`/auth/login?${new URLSearchParams({ returnTo })}`)
    expect(login.status).toBe(302)
    return completeAuthorization(mock, login.headers.get('location') as string, DEMO_USER)
  }
  async function signIn(b: ReturnType<typeof browser>, returnTo?: string): Promise<Response> {
    const callback = await authorize(b, returnTo)
    return b.request(`${callback.pathname}${callback.search}`)
  }
  return { mock, store, oauth, auth, fetch, browser, authorize, signIn, logged }
}

const grantIdOf = (b: { jar: Map<string, string> }): string =>
  (b.jar.get(SESSION) as string).split('.')[0] as string

describe('the handler: routes under basePath', () => {
  it('dispatches GET login, GET callback and POST logout, every answer no-store', async () => {
    const t = setup()
    const b = t.browser()
    const callback = await t.signIn(b, '/projects?x=1')
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('/projects?x=1')
    expect(callback.headers.get('cache-control')).toBe('no-store')
    expect(b.jar.has(SESSION)).toBe(true)
    const out = await b.request('/auth/logout', { method: 'POST', headers: { origin: APP } })
    expect(out.status).toBe(303)
    expect(out.headers.get('cache-control')).toBe('no-store')
    expect(b.jar.has(SESSION)).toBe(false)
  })

  it('answers 405 with Allow for another method, 404 for another path, as JSON or HTML by Accept', async () => {
    const { auth } = setup()
    const ask = (path: string, method = 'GET', accept = 'application/json') =>
      auth.handler(new Request(`${APP}${path}`, { method, headers: { accept } }))
    for (const [path, method, allow] of [
      ['/auth/login', 'POST', 'GET, HEAD'],
      ['/auth/callback', 'POST', 'GET'],
      ['/auth/logout', 'GET', 'POST'],
      ['/auth/logout', 'PUT', 'POST'],
    ] as const) {
      const response = await ask(path, method)
      expect(response.status, `${method} ${path}`).toBe(405)
      expect(response.headers.get('allow')).toBe(allow)
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(await response.json()).toEqual({
        error: { code: 'method_not_allowed', message: expect.any(String) },
      })
    }
    for (const path of ['/auth/other', '/auth', '/elsewhere']) {
      const response = await ask(path)
      expect(response.status, path).toBe(404)
      expect((await response.json()) as unknown).toMatchObject({ error: { code: 'not_found' } })
    }
    const page = await ask('/auth/logout', 'GET', 'text/html,application/xhtml+xml')
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    const html = await page.text()
    expect(html).toContain(`<h1>${errorInfo('method_not_allowed').title}</h1>`)
    expect(html).toContain('<code>method_not_allowed</code>')
  })

  it('answers HEAD on login (a link preview) like GET, and mounts under another basePath', async () => {
    const { auth } = setup({ auth: { basePath: '/api/auth/' } })
    expect(auth.paths).toEqual({
      login: '/api/auth/login',
      callback: '/api/auth/callback',
      logout: '/api/auth/logout',
    })
    expect(auth.handles(`${APP}/api/auth/login?x`)).toBe(true)
    expect(auth.handles(`${APP}/api/authx`)).toBe(false)
    const head = await auth.handler(new Request(`${APP}/api/auth/login`, { method: 'HEAD' }))
    expect(head.status).toBe(302)
    expect((await auth.handler(new Request(`${APP}/auth/login`))).status).toBe(404)
    expect(() => setup({ auth: { basePath: 'auth' } })).toThrow(/basePath/)
    expect(() => setup({ auth: { basePath: '/a b' } })).toThrow(/basePath/)
  })

  it('Next.js route handlers are the same handler: export const { GET, POST } = auth.handlers', async () => {
    const { auth } = setup()
    const { GET, POST } = auth.handlers
    expect((await GET(new Request(`${APP}/auth/login`))).status).toBe(302)
    expect((await POST(new Request(`${APP}/auth/logout`, { method: 'POST' }))).status).toBe(403)
  })

  it('refuses a relative URL with a typed invalid_options error that says what to pass, and never echoes it', async () => {
    const { auth } = setup()
    const callback = {
      url: '/auth/callback?code=secret-code-123&state=s',
      method: 'GET',
      headers: new Headers(),
    }
    for (const call of [() => auth.handler(callback), () => auth.flow.callback(callback)]) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      )
      expect(isWorkfrontOAuthError(error, 'invalid_options')).toBe(true)
      expect(String(error)).toContain('absoluteRequestURL(req.originalUrl ?? req.url, { origin: appOrigin })')
      expect(String(error)).not.toContain('secret-code-123')
    }
  })
})

describe('the session, from bare headers', () => {
  it('knows who signed in without an API call, and confirms the grant through the near cache', async () => {
    const t = setup()
    const b = t.browser()
    await t.signIn(b)
    const calls = t.mock.counters().apiCalls
    const session = await t.auth.getSession({ headers: { cookie: b.cookieHeader() } })
    expect(session?.user).toEqual({
      userID: DEMO_USER.id,
      name: DEMO_USER.name,
      username: DEMO_USER.username,
      emailAddr: DEMO_USER.email,
    })
    expect(session?.grant).toMatchObject({
      id: grantIdOf(b),
      origin: `https://${t.mock.host}`,
      refreshCount: 0,
    })
    // Node's IncomingHttpHeaders and a Web Headers both do.
    expect((await t.auth.getSession({ headers: new Headers({ cookie: b.cookieHeader() }) }))?.grantId).toBe(
      grantIdOf(b),
    )
    const me = await b.request('/api/me')
    expect(await me.json()).toEqual(session?.user)
    expect(t.mock.counters().apiCalls).toEqual(calls)
    expect(await t.auth.getSession({ headers: {} })).toBeNull()
    expect(await t.auth.getSession({ headers: { cookie: `${SESSION}=forged.sig` } })).toBeNull()
  })

  it('refuses a copy of the cookie once its grant is signed out, on a route that never calls Workfront', async () => {
    const t = setup()
    const b = t.browser()
    await t.signIn(b)
    const copy = b.cookieHeader()
    expect((await b.request('/api/me')).status).toBe(200)
    await b.request('/auth/logout', { method: 'POST', headers: { origin: APP } })
    const replay = await t.fetch(new Request(`${APP}/api/me`, { headers: { cookie: copy } }))
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ error: { code: 'unauthenticated' } })
    // The dead cookie is cleared.
    expect(replay.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION}=; Path=/; Max-Age=0;`))
  })

  it('the grant revoked in another process is refused within the near cache’s age', async () => {
    const clock = createFakeClock()
    const shared = memoryStore()
    // A store that tells this process of no change made elsewhere (no watchChanges): only the age bounds it.
    const { watchChanges: _, ...deaf } = shared
    const t = setup({ oauth: { clock, store: deaf, nearCache: { maxAgeMs: 5_000 } } })
    const b = t.browser()
    await t.signIn(b)
    expect((await b.request('/api/me')).status).toBe(200)
    // Another process signs the grant out.
    await shared.delete(`grant:${grantIdOf(b)}`)
    // Until the near cache's age runs out, no store read: the cost of the check stays near zero.
    expect((await b.request('/api/me')).status).toBe(200)
    clock.advance(5_001)
    expect((await b.request('/api/me')).status).toBe(401)
  })
})

describe('the guard', () => {
  it('sends a page request without a session to sign in with returnTo; other methods and API routes get 401', async () => {
    const t = setup()
    const b = t.browser()
    const page = await b.request('/projects?x=1')
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fprojects%3Fx%3D1')
    expect(page.headers.get('set-cookie')).toBeNull()
    expect((await b.request('/projects', { method: 'POST' })).status).toBe(401)
    const api = await b.request('/api/projects')
    expect(api.status).toBe(401)
    expect(api.headers.get('cache-control')).toBe('no-store')
    // A forged or stale session cookie is cleared.
    const forged = await b.request('/api/projects', { headers: { cookie: `${SESSION}=g.bad` } })
    expect(forged.headers.get('set-cookie')).toMatch(new RegExp(`^${SESSION}=;`))
  })

  it('serves the API through session.client, refreshing an expired session once', async () => {
    const t = setup()
    const b = t.browser()
    await t.signIn(b)
    t.mock.expireAllSessions()
    const responses = await Promise.all(Array.from({ length: 10 }, () => b.request('/api/projects')))
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200))
    expect(t.mock.counters().tokenCalls.refresh_token).toBe(1)
  })

  it('creates nothing per request while the grant is unchanged: the same frozen grant info and client', async () => {
    const t = setup()
    const b = t.browser()
    await t.signIn(b)
    const headers = { cookie: b.cookieHeader() }
    const first = await t.auth.getSession({ headers })
    const second = await t.auth.getSession({ headers })
    expect(second?.grant).toBe(first?.grant)
    expect(second?.client).toBe(first?.client)
    expect(Object.isFrozen(first?.grant)).toBe(true)
    // A refreshed grant is a new version: new info (its refresh counted), a new client for the same grant.
    t.mock.expireAllSessions()
    await first?.client.search('proj')
    const after = await t.auth.getSession({ headers })
    expect(after?.grant).not.toBe(first?.grant)
    expect(after?.grant.refreshCount).toBe(1)
    expect(after?.client.grantId).toBe(first?.grantId)
  })

  it('peekSession: the session at once when this process knows it, undefined when it takes a wait', async () => {
    const t = setup()
    const b = t.browser()
    expect(t.auth.peekSession({ headers: {} })).toBeUndefined()
    await t.signIn(b)
    const headers = { cookie: b.cookieHeader() }
    // The cookie was signed here and the grant written through the near cache: no promise, no store read.
    const peeked = t.auth.peekSession({ headers })
    expect(peeked?.grantId).toBe(grantIdOf(b))
    expect(peeked).toBe(await t.auth.getSession({ headers }))
    expect(Object.isFrozen(peeked)).toBe(true)
    expect(t.auth.peekSession({ headers: { cookie: `${SESSION}=${grantIdOf(b)}.forged` } })).toBeUndefined()

    // Another process with the same secrets has verified nothing yet: the awaited path checks the
    // signature, then it knows the cookie too.
    const other = createWebAuth({ oauth: t.oauth, appOrigin: APP, cookieSecrets: [COOKIE_SECRET] })
    expect(other.peekSession({ headers })).toBeUndefined()
    expect((await other.getSession({ headers }))?.grantId).toBe(grantIdOf(b))
    expect(other.peekSession({ headers })?.grant).toBe(peeked?.grant)

    // An app session that reads at once is peeked; one that answers later, or fails, is the guard's.
    const bound = (read: SessionBinding['read']) => ({
      session: { read, write: () => undefined, clear: () => undefined },
    })
    expect(
      t.auth.peekSession(
        { headers: {} },
        bound(() => grantIdOf(b)),
      ),
    ).toBe(peeked)
    expect(
      t.auth.peekSession(
        { headers: {} },
        bound(async () => grantIdOf(b)),
      ),
    ).toBeUndefined()
    expect(
      t.auth.peekSession(
        { headers },
        bound(() => null),
      ),
    ).toBeUndefined()

    // A WorkfrontOAuth made elsewhere (a wrapper) has no near cache to look at: always the awaited path.
    const wrapped = createWebAuth({ oauth: { ...t.oauth }, appOrigin: APP, cookieSecrets: [COOKIE_SECRET] })
    await wrapped.getSession({ headers })
    expect(wrapped.peekSession({ headers })).toBeUndefined()

    // Signed out: the grant leaves the near cache with it, so a copy of the cookie is not let through.
    await b.request('/auth/logout', { method: 'POST', headers: { origin: APP } })
    expect(t.auth.peekSession({ headers })).toBeUndefined()
    expect(await t.auth.getSession({ headers })).toBeNull()
  })

  it('answers 503 when the store fails, without signing the browser out', async () => {
    const t = setup()
    const b = t.browser()
    await t.signIn(b)
    const broken = { ...t.store, getVersioned: () => Promise.reject(new Error('redis down')) }
    const oauth = createWorkfrontOAuth({
      clientId: 'web-app',
      clientSecret: SECRET,
      redirectUri: `${APP}/auth/callback`,
      baseUrl: `https://${t.mock.host}`,
      store: broken,
      http: (input, init) => t.mock.fetch(new Request(input, init)),
    })
    const auth = createWebAuth({ oauth, appOrigin: APP, cookieSecrets: [COOKIE_SECRET] })
    const { response } = await auth.guard(
      new Request(`${APP}/api/me`, { headers: { cookie: b.cookieHeader() } }),
    )
    expect(response?.status).toBe(503)
    expect(await response?.json()).toMatchObject({ error: { code: 'store_unavailable' } })
    expect(response?.headers.get('set-cookie')).toBeNull()
  })
})

describe('errorResponse', () => {
  it('clears the session for every error that means sign in again, and renders the others', async () => {
    const t = setup()
    const request = (accept: string) => new Request(`${APP}/projects`, { headers: { accept } })
    for (const code of Object.values(ErrorCode)) {
      const response = await t.auth.errorResponse(new WorkfrontOAuthError(code, 'x'), request('text/html'))
      if (errorInfo(code).signInAgain) {
        expect(response.status, code).toBe(302)
        expect(response.headers.get('set-cookie'), code).toMatch(/Max-Age=0/)
      } else {
        expect(response.status, code).toBe(errorInfo(code).status)
        expect(await response.text(), code).toContain(`<code>${code}</code>`)
      }
    }
    const json = await t.auth.errorResponse(
      new WorkfrontOAuthError('rate_limited', 'x', { retryAfter: 7 }),
      request('*/*'),
    )
    expect(json.headers.get('retry-after')).toBe('7')
    expect(await json.json()).toEqual({ error: { code: 'rate_limited', message: 'x' } })
  })

  it('hides an untyped error behind internal_error and reports it to the logger', async () => {
    const t = setup()
    const response = await t.auth.errorResponse(new TypeError('db exploded'), new Request(`${APP}/x`))
    expect(response.status).toBe(500)
    expect(await response.json()).toEqual({
      error: { code: 'internal_error', message: 'Unexpected failure' },
    })
    expect(t.logged).toEqual([
      ['unexpected failure', { error: expect.objectContaining({ message: 'db exploded' }) }],
    ])
  })
})

describe('onSignIn', () => {
  it('is told the grant, the user and the request, and may pick where the browser goes', async () => {
    const seen: unknown[] = []
    const t = setup({
      auth: {
        onSignIn: (event) => {
          seen.push({ ...event, request: event.request.url })
          return { returnTo: '/welcome' }
        },
      },
    })
    const b = t.browser()
    const response = await t.signIn(b, '/projects')
    expect(response.headers.get('location')).toBe('/welcome')
    expect(seen).toEqual([
      {
        grantId: grantIdOf(b),
        grant: expect.objectContaining({ id: grantIdOf(b) }),
        user: expect.objectContaining({ userID: DEMO_USER.id, name: DEMO_USER.name }),
        request: expect.stringMatching(`^${APP}/auth/callback\\?`),
        returnTo: '/projects',
      },
    ])
  })

  it('refuses the sign-in with the typed error it throws: grant ended and deleted, no session, the error page', async () => {
    const t = setup({
      auth: {
        onSignIn: ({ user }) => {
          if (user?.emailAddr?.endsWith('@acme.test'))
            throw new WorkfrontOAuthError('sign_in_refused', 'Not for acme')
          return undefined
        },
      },
    })
    const b = t.browser()
    const callback = await t.authorize(b)
    const response = await b.request(`${callback.pathname}${callback.search}`, {
      headers: { accept: 'text/html' },
    })
    expect(response.status).toBe(403)
    expect(await response.text()).toContain(errorInfo('sign_in_refused').title)
    expect(b.jar.has(SESSION)).toBe(false)
    expect(t.store.size().values).toBe(0)
    // The Workfront session the sign-in opened was ended.
    const sessions = await t.mock.fetch(new Request(`https://${t.mock.host}/attask/api/v21.0/session`))
    expect(sessions.status).toBe(401)
  })

  it('turns any other exception into internal_error (logged), and an off-site returnTo into invalid_return_to', async () => {
    for (const [onSignIn, code] of [
      [() => Promise.reject(new Error('users table is down')), 'internal_error'],
      [() => ({ returnTo: 'https://evil.example/' }), 'invalid_return_to'],
    ] as const) {
      const t = setup({ auth: { onSignIn } })
      const b = t.browser()
      const response = await t.signIn(b)
      expect(await response.json(), code).toMatchObject({ error: { code } })
      expect(b.jar.has(SESSION)).toBe(false)
      expect(t.store.size().values).toBe(0)
    }
  })
})

describe('signOut (a Server Action) and a session binding of the app’s own', () => {
  it('checks the origin, ends the grant and clears the cookie in the given cookie store', async () => {
    const t = setup()
    const b = t.browser()
    await t.signIn(b)
    const grantId = grantIdOf(b)
    const set: Array<[string, string, CookieAttributes]> = []
    const cookies = {
      set: (name: string, value: string, options: CookieAttributes) => set.push([name, value, options]),
    }
    await expect(
      t.auth.signOut({ headers: { cookie: b.cookieHeader(), origin: 'https://evil.example' }, cookies }),
    ).rejects.toMatchObject({ code: 'csrf_rejected' })
    expect(await t.oauth.getGrant(grantId)).not.toBeNull()
    await t.auth.signOut({ headers: { cookie: b.cookieHeader(), origin: APP }, cookies })
    expect(await t.oauth.getGrant(grantId)).toBeNull()
    expect(set).toEqual([
      [SESSION, '', { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge: 0 }],
    ])
  })

  it('keeps the grant id in the app’s session when given one: no session cookie, cleared at logout', async () => {
    const t = setup()
    let stored: string | null = null
    const writes: string[] = []
    const binding: SessionBinding = {
      read: () => stored,
      write: (grantId) => {
        writes.push(grantId)
        stored = grantId
      },
      clear: () => {
        stored = null
      },
    }
    const b = createBrowser((request) => t.auth.handler(request, { session: binding }), { origin: APP })
    const login = await b.request('/auth/login')
    const callback = await completeAuthorization(t.mock, login.headers.get('location') as string, DEMO_USER)
    const response = await b.request(`${callback.pathname}${callback.search}`)
    expect(response.status).toBe(302)
    expect(b.jar.has(SESSION)).toBe(false)
    expect(writes).toHaveLength(1)
    const session = await t.auth.getSession({ headers: {} }, { session: binding })
    expect(session?.grantId).toBe(writes[0])
    await b.request('/auth/logout', { method: 'POST', headers: { origin: APP } })
    expect(stored).toBeNull()
    expect(await t.oauth.getGrant(writes[0] as string)).toBeNull()
  })

  it('counts sign-ins per client address the binding knows, without a loginClientKey', async () => {
    const t = setup({ auth: { loginRateLimit: { burst: 2, perMinute: 1 } } })
    const login = (clientAddress: string) =>
      t.auth.handler(new Request(`${APP}/auth/login`), { clientAddress })
    expect((await login('198.51.100.7')).status).toBe(302)
    expect((await login('198.51.100.7')).status).toBe(302)
    const refused = await login('198.51.100.7')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('60')
    expect((await login('203.0.113.9')).status).toBe(302)
  })
})

describe('secrets', () => {
  it('never appear in any answer of the flows', async () => {
    const t = setup()
    const b = t.browser()
    const outputs: string[] = []
    const record = async (response: Response) => {
      outputs.push(JSON.stringify([...response.headers]), await response.clone().text())
      return response
    }
    const callback = await t.authorize(b)
    await record(await b.request(`${callback.pathname}${callback.search}`))
    await record(await b.request(`${callback.pathname}${callback.search}`))
    await record(await b.request('/api/me'))
    await record(await b.request('/auth/logout', { method: 'POST', headers: { origin: APP } }))
    const text = outputs.join('\n')
    for (const secret of [SECRET, COOKIE_SECRET, callback.searchParams.get('code') as string]) {
      expect(text).not.toContain(secret)
    }
  })
})
