import type { StoragePort } from '@workfront-oauth/core'
import { memoryStore } from '@workfront-oauth/core'
import { createFakeClock, hiccupStore } from '@workfront-oauth/core/testing'
import { eventually } from '@workfront-oauth/test-kit'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import { describe, expect, it } from 'vitest'
import {
  APP_ORIGIN,
  authorize,
  CLIENT_SECRET,
  COOKIE_SECRET,
  createBrowser,
  createTestApp,
  sessionGrantId,
  signIn,
  storedRefreshCount,
} from './test/app.ts'

const pathOf = (url: URL): string => `${url.pathname}${url.search}`

describe('sign-in flow against the Workfront mock', () => {
  it('signs in, sets the session and serves the API through c.var.workfront', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    const callback = await signIn(t, browser)
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('/app/projects')
    const projects = await browser.request('/app/projects')
    expect(projects.status).toBe(200)
    const body = (await projects.json()) as Array<{ ID: string; status: string }>
    expect(body.length).toBeGreaterThan(0)
    expect(body[0]).toHaveProperty('status')
    expect(t.mock.counters().tokenCalls.authorization_code).toBe(1)
    // Only the configured tenant was ever contacted.
    expect(new Set(t.hosts)).toEqual(new Set([t.mock.host]))
  })

  it('sets cookies with the right attributes', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    const [login, session] = browser.setCookies
    expect(login).toMatch(
      /^__Host-wf_login=[\w-]+\.[\w-]+; Path=\/; Max-Age=900; SameSite=Lax; HttpOnly; Secure$/,
    )
    expect(session).toMatch(
      /^__Host-wf_session=[\w-]+\.[\w-]+; Path=\/; Max-Age=604800; SameSite=Lax; HttpOnly; Secure$/,
    )
  })

  it('drops the __Host- prefix and Secure only on plain-http loopback development', async () => {
    const origin = 'http://127.0.0.1:8787'
    const t = createTestApp({
      app: { redirectUris: [`${origin}/auth/callback`] },
      oauth: { redirectUri: `${origin}/auth/callback` },
      auth: { appOrigin: origin },
    })
    const response = await t.app.request(`${origin}/auth/login`)
    expect(response.headers.get('set-cookie')).toMatch(
      /^wf_login=[^;]+; Path=\/; Max-Age=900; SameSite=Lax; HttpOnly$/,
    )
  })

  it('logs out with a same-origin POST: Workfront session ended, grant deleted, cookie cleared', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    const sessionCookie = browser.jar.get('__Host-wf_session') as string
    const grantId = sessionCookie.split('.')[0] as string
    expect(await t.oauth.getGrant(grantId)).not.toBeNull()
    const { accessToken } = await t.oauth.getAccessToken(grantId)

    expect((await browser.request('/auth/logout')).status).toBe(405)
    expect((await browser.request('/auth/logout', { method: 'POST' })).status).toBe(403)
    expect(
      (await browser.request('/auth/logout', { method: 'POST', headers: { origin: 'https://evil.example' } }))
        .status,
    ).toBe(403)
    const out = await browser.request('/auth/logout', { method: 'POST', headers: { origin: APP_ORIGIN } })
    expect(out.status).toBe(303)
    expect(out.headers.get('location')).toBe('/')
    expect(out.headers.get('set-cookie')).toMatch(/^__Host-wf_session=; Path=\/; Max-Age=0;/)
    expect(await t.oauth.getGrant(grantId)).toBeNull()
    const session = await t.mock.fetch(
      new Request(`https://${t.mock.host}/attask/api/v21.0/session`, { headers: { sessionID: accessToken } }),
    )
    expect(session.status).toBe(401)
    expect((await browser.request('/app/projects')).status).toBe(302)
  })

  it('refuses a replayed callback and a callback planted in another browser', async () => {
    const t = createTestApp()
    const victim = createBrowser(t.app)
    const attacker = createBrowser(t.app)
    const callback = await authorize(t, attacker)
    // Login CSRF: the attacker's callback URL opened in the victim's browser.
    const planted = await victim.request(pathOf(callback), { headers: { accept: 'text/html' } })
    expect(planted.status).toBe(400)
    expect(await planted.text()).toContain('browser_mismatch')
    expect(victim.jar.has('__Host-wf_session')).toBe(false)

    const mine = await authorize(t, victim)
    expect((await victim.request(pathOf(mine))).status).toBe(302)
    const replay = await victim.request(pathOf(mine))
    expect(replay.status).toBe(400)
    expect(await replay.json()).toEqual({ error: { code: 'state_mismatch', message: expect.any(String) } })
  })

  it('refuses forged domain/lane and never contacts another host', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    for (const [domain, lane, code] of [
      ['evil', 'my', 'tenant_mismatch'],
      ['acme', 'preview', 'tenant_mismatch'],
      ['acme.evil.com', 'my', 'invalid_tenant'],
      ['acme', 'my.evil.com/x', 'invalid_tenant'],
    ] as const) {
      const callback = await authorize(t, browser)
      callback.searchParams.set('domain', domain)
      callback.searchParams.set('lane', lane)
      const response = await browser.request(pathOf(callback))
      expect(await response.json()).toMatchObject({ error: { code } })
      expect(response.status).toBe(400)
    }
    expect(t.mock.counters().tokenCalls.authorization_code).toBe(0)
    expect(t.hosts.every((h) => h === t.mock.host)).toBe(true)
  })

  it('multi-tenant: the org the user names is bound to the login; others are refused', async () => {
    const t = createTestApp({
      oauth: { baseUrl: undefined, multiTenant: { allowedHosts: ['*.my.workfront.com'] } },
    })
    const browser = createBrowser(t.app)
    const refused = await browser.request('/auth/login?tenant=acme.sb01.workfront.com')
    expect(refused.status).toBe(403)
    expect(await refused.json()).toMatchObject({ error: { code: 'tenant_not_allowed' } })
    const login = await browser.request('/auth/login?tenant=acme')
    expect(new URL(login.headers.get('location') as string).host).toBe('acme.my.workfront.com')
  })

  it('shows a friendly page when the user denies access', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    const callback = await authorize(t, browser, '/app/projects', 'deny')
    expect(callback.searchParams.get('error')).toBe('access_denied')
    const page = await browser.request(pathOf(callback), { headers: { accept: 'text/html' } })
    expect(page.status).toBe(403)
    expect(page.headers.get('content-type')).toContain('text/html')
    const html = await page.text()
    expect(html).toContain('Access was not granted')
    expect(html).not.toMatch(/at \w+ \(|stack/i)
  })

  it('fails an expired code (more than 2 minutes) with a typed error', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    const callback = await authorize(t, browser)
    t.mock.clock.advance(121_000)
    const response = await browser.request(pathOf(callback))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: 'code_rejected' } })
  })
})

describe('limits and misconfiguration (issue #12 findings 7 and 11)', () => {
  it('answers sign-ins past the per-client limit with 429, Retry-After and a clear page', async () => {
    const t = createTestApp({
      auth: {
        loginClientKey: (request) => request.headers.get('x-forwarded-for'),
        loginRateLimit: { burst: 2, perMinute: 6 },
      },
    })
    const login = (ip: string) =>
      t.app.request(`${APP_ORIGIN}/auth/login`, { headers: { accept: 'text/html', 'x-forwarded-for': ip } })
    expect((await login('192.0.2.1')).status).toBe(302)
    expect((await login('192.0.2.1')).status).toBe(302)
    const refused = await login('192.0.2.1')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('10')
    expect(refused.headers.get('set-cookie')).toBeNull()
    expect(await refused.text()).toContain('Too many sign-ins from here')
    expect((await login('192.0.2.2')).status).toBe(302)
  })

  it('answers sign-ins past the process capacity with 503 and Retry-After', async () => {
    const t = createTestApp({ auth: { loginCapacity: { burst: 1, perMinute: 1 } } })
    expect((await t.app.request(`${APP_ORIGIN}/auth/login`)).status).toBe(302)
    const refused = await t.app.request(`${APP_ORIGIN}/auth/login`)
    expect(refused.status).toBe(503)
    // app.request has no socket, so no client address: these count against the unknown clients' half of the
    // capacity (one a minute → one every two minutes).
    expect(refused.headers.get('retry-after')).toBe('120')
    expect(await refused.json()).toMatchObject({ error: { code: 'login_capacity_exceeded' } })
  })

  it('tells the user the app is misconfigured when Workfront refuses its credentials', async () => {
    const errors: unknown[] = []
    const t = createTestApp({
      oauth: {
        clientSecret: 'a-rotated-away-secret-value',
        logger: { warn: () => undefined, error: (_message, details) => errors.push(details) },
      },
    })
    const browser = createBrowser(t.app)
    const callback = await authorize(t, browser)
    const page = await browser.request(pathOf(callback), { headers: { accept: 'text/html' } })
    expect(page.status).toBe(503)
    const html = await page.text()
    expect(html).toContain('This app is misconfigured')
    expect(html).toContain('client_rejected')
    expect(html).not.toContain('a-rotated-away-secret-value')
    expect(errors).toEqual([
      expect.objectContaining({ code: 'client_rejected', upstreamCode: expect.any(String) }),
    ])
    expect(JSON.stringify(errors)).not.toContain('a-rotated-away-secret-value')
  })
})

describe('returnTo', () => {
  const hostile = [
    '//evil.com',
    '//evil.com/path',
    '/\\evil.com',
    '\\\\evil.com',
    '/%2F%2Fevil.com',
    '/%2f%2fevil.com',
    '/%5Cevil.com',
    '/%5cevil.com',
    '%2F%2Fevil.com',
    '/%252F%252Fevil.com',
    'https://evil.com',
    'http:evil.com',
    'http:/evil.com',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/\t/evil.com',
    '/\n/evil.com',
    '/ /evil.com',
    ' /projects',
    'evil.com',
    '///evil.com',
    '/\\/evil.com',
    '/x\r\nSet-Cookie: a=b',
    `/${'a'.repeat(3000)}`,
    '//evil.com@app.example.com',
    '/%09/evil.com',
  ]
  it.each(hostile)('refuses %j', async (returnTo) => {
    const t = createTestApp()
    const response = await t.app.request(`${APP_ORIGIN}/auth/login?returnTo=${encodeURIComponent(returnTo)}`)
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: { code: 'invalid_return_to' } })
  })

  it.each(['/', '/projects', '/projects?x=1&y=%2F#top', '/a/b/../c'])(
    'keeps the same-origin path %j',
    async (returnTo) => {
      const t = createTestApp()
      const browser = createBrowser(t.app)
      const callback = await authorize(t, browser, returnTo)
      const response = await browser.request(pathOf(callback))
      const location = response.headers.get('location') as string
      expect(new URL(location, APP_ORIGIN).origin).toBe(APP_ORIGIN)
      expect(location).toBe(
        new URL(returnTo, APP_ORIGIN).pathname +
          new URL(returnTo, APP_ORIGIN).search +
          new URL(returnTo, APP_ORIGIN).hash,
      )
    },
  )
})

describe('requireAuth', () => {
  it('redirects pages and answers 401 JSON for APIs when nobody is signed in', async () => {
    const t = createTestApp()
    const page = await t.app.request(`${APP_ORIGIN}/app/projects?sort=name`)
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fapp%2Fprojects%3Fsort%3Dname')
    const api = await t.app.request(`${APP_ORIGIN}/api/projects`)
    expect(api.status).toBe(401)
    expect(await api.json()).toEqual({ error: { code: 'unauthenticated', message: expect.any(String) } })
  })

  it('ignores a tampered or foreign session cookie', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    const cookie = browser.jar.get('__Host-wf_session') as string
    const [id, sig] = cookie.split('.') as [string, string]
    for (const forged of [
      `${id}x.${sig}`,
      `${id}.${sig.slice(0, -2)}AA`,
      id,
      `${browser.jar.get('__Host-wf_login')}`,
    ]) {
      const response = await t.app.request(`${APP_ORIGIN}/api/projects`, {
        headers: { cookie: `__Host-wf_session=${forged}` },
      })
      expect(response.status).toBe(401)
      expect(response.headers.get('set-cookie')).toMatch(/Max-Age=0/)
    }
  })

  it('200 concurrent requests after the Workfront session expired cause one refresh (rotation on)', async () => {
    // Armed after the sign-in: the refresh is held at Workfront's door while the other requests pile up.
    let door: Promise<void> | undefined
    let held = 0
    const t = createTestApp({
      oauth: {
        async http(input, init) {
          const request = new Request(input, init)
          if (door !== undefined && new URL(request.url).pathname === '/integrations/oauth2/api/v1/token') {
            held++
            await door
          }
          return t.mock.fetch(request)
        },
      },
    })
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    t.mock.expireAllSessions()
    let open = (): void => {}
    door = new Promise<void>((resolve) => (open = resolve))
    const all = Promise.all(Array.from({ length: 200 }, () => browser.request('/api/projects')))
    await eventually(() => held === 1)
    open()
    const responses = await all
    expect(held).toBe(1)
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200))
    const counters = t.mock.counters()
    expect(counters.tokenCalls.refresh_token).toBe(1)
    expect(counters.refreshReuses).toBe(0)
  })

  it('answers while the rotated tokens are held after a refused write, with no execution context (Node)', async () => {
    const { inner, store, knobs } = hiccupStore()
    const t = createTestApp({ store, oauth: { logger: { warn: () => undefined, error: () => undefined } } })
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    const grantId = sessionGrantId(browser)
    t.mock.expireAllSessions()
    // The refresh's claim (written before the token request) lands; the write of the answer fails.
    knobs.passWrites = 1
    knobs.failWrites = Number.POSITIVE_INFINITY
    // Hono throws when asked for an execution context it was not given: the adapter must not ask then.
    const response = await browser.request('/api/projects')
    expect(response.status).toBe(200)
    const pending = t.oauth.pendingWrites()
    expect(pending).not.toBeNull()
    expect(await storedRefreshCount(inner, grantId)).toBe(0)
    // The process lives on: the held write lands in the background once the store takes it.
    knobs.failWrites = 0
    await pending
    expect(await storedRefreshCount(inner, grantId)).toBe(1)
  })

  it('sends people to sign in again when the grant can no longer be refreshed', async () => {
    const t = createTestApp({ app: { refreshTokenAbsoluteTtlMs: 60_000 } })
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    t.mock.clock.advance(61_000)
    t.mock.expireAllSessions()
    const page = await browser.request('/app/projects')
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fapp%2Fprojects')
    expect(page.headers.get('set-cookie')).toMatch(/^__Host-wf_session=; .*Max-Age=0/)
    await signIn(t, browser)
    t.mock.clock.advance(61_000)
    t.mock.expireAllSessions()
    const api = await browser.request('/api/projects')
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: { code: 'unauthenticated' } })
  })

  it('maps an unreachable Workfront to 502 and a failing store to 503, with nothing secret', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    t.mock.injectFailure({ endpoint: 'api', kind: 'reset' })
    const unreachable = await browser.request('/api/projects')
    expect(unreachable.status).toBe(502)
    expect(await unreachable.json()).toMatchObject({ error: { code: 'api_unreachable' } })

    const inner = memoryStore()
    let broken = false
    const flaky: StoragePort = {
      ...inner,
      getVersioned: (key) =>
        broken ? Promise.reject(new Error(`connect ECONNREFUSED ${CLIENT_SECRET}`)) : inner.getVersioned(key),
    }
    const clock = createFakeClock()
    const s = createTestApp({ store: flaky, oauth: { clock } })
    const b = createBrowser(s.app)
    await signIn(s, b)
    broken = true
    // The near cache still holds the grant: served without the store, for less than its maximum age.
    expect((await b.request('/api/projects')).status).toBe(200)
    clock.advance(5_000)
    const unavailable = await b.request('/api/projects')
    expect(unavailable.status).toBe(503)
    const text = await unavailable.text()
    expect(text).toContain('store_unavailable')
    for (const secret of [CLIENT_SECRET, COOKIE_SECRET]) expect(text).not.toContain(secret)
  })

  it('never puts a secret or token in any response of the flow', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    const responses: Response[] = []
    const callback = await authorize(t, browser)
    responses.push(await browser.request(pathOf(callback)))
    responses.push(await browser.request('/api/projects'))
    responses.push(await browser.request(pathOf(callback)))
    const grantId = (browser.jar.get('__Host-wf_session') as string).split('.')[0] as string
    const { accessToken } = await t.oauth.getAccessToken(grantId)
    for (const response of responses) {
      const text = `${[...response.headers].join('\n')}\n${await response.text()}`
      for (const secret of [
        CLIENT_SECRET,
        COOKIE_SECRET,
        accessToken,
        callback.searchParams.get('code') as string,
      ]) {
        expect(text).not.toContain(secret)
      }
    }
  })
})

describe('optionalAuth and currentUser', () => {
  it('serves a public page to strangers and greets the signed-in user by name', async () => {
    const t = createTestApp()
    const stranger = await t.app.request(`${APP_ORIGIN}/welcome`)
    expect(stranger.status).toBe(200)
    expect(await stranger.text()).toBe('Hello stranger')
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    expect(await (await browser.request('/welcome')).text()).toBe(`Hello ${DEMO_USER.name} (12 projects)`)
  })

  it('knows who is signed in without an API call: the user was read once, at sign-in', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    t.mock.resetCounters()
    const me = await browser.request('/api/me')
    expect(await me.json()).toEqual({
      userID: expect.any(String),
      name: DEMO_USER.name,
      username: DEMO_USER.username,
      emailAddr: expect.stringContaining('@'),
    })
    expect(t.mock.counters().apiCalls).toEqual({})
  })

  it('shows the page signed out, and clears the cookie, when the grant is gone', async () => {
    const t = createTestApp({ app: { refreshTokenAbsoluteTtlMs: 60_000 } })
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    t.mock.clock.advance(61_000)
    t.mock.expireAllSessions()
    const again = await browser.request('/welcome')
    expect(again.status).toBe(302)
    expect(again.headers.get('location')).toBe('/welcome')
    expect(again.headers.get('set-cookie')).toMatch(/^__Host-wf_session=; .*Max-Age=0/)
    expect(await (await browser.request('/welcome')).text()).toBe('Hello stranger')
  })
})

describe('error pages', () => {
  const html = { headers: { accept: 'text/html' } }
  const button = (page: string): { href: string; label: string } | undefined => {
    const match = /<p><a href="([^"]*)">([^<]*)<\/a><\/p>/.exec(page)
    return match ? { href: match[1]!.replaceAll('&#38;', '&'), label: match[2]! } : undefined
  }

  it('offers "Sign in again" after a replayed or planted sign-in', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    const callback = await authorize(t, browser)
    await browser.request(pathOf(callback))
    const replay = await browser.request(pathOf(callback), html)
    expect(replay.status).toBe(400)
    const page = await replay.text()
    expect(page).toContain('This sign-in link is no longer valid')
    expect(button(page)).toEqual({ href: '/auth/login', label: 'Sign in again' })

    const other = createBrowser(t.app)
    const planted = await other.request(pathOf(await authorize(t, browser)), html)
    expect(button(await planted.text())).toEqual({ href: '/auth/login', label: 'Sign in again' })
  })

  it('offers "Sign in again" after an expired sign-in, to signInUrl when set', async () => {
    // The app's clock (not the store's) runs past the login's lifetime: the transaction is still stored,
    // and the machine finds it expired.
    const clock = createFakeClock(Date.now())
    const t = createTestApp({ oauth: { clock, transactionTtlMs: 60_000 }, auth: { signInUrl: '/' } })
    const browser = createBrowser(t.app)
    const callback = await authorize(t, browser)
    clock.advance(61_000)
    const late = await browser.request(pathOf(callback), html)
    expect(late.status).toBe(400)
    const page = await late.text()
    expect(page).toContain('state_expired')
    expect(page).toContain('The sign-in took too long')
    expect(button(page)).toEqual({ href: '/', label: 'Sign in again' })
  })

  it('offers "Try again" on the same page when Workfront cannot be reached, and "Back to the start" otherwise', async () => {
    const t = createTestApp()
    const browser = createBrowser(t.app)
    await signIn(t, browser)
    t.mock.injectFailure({ endpoint: 'api', kind: 'reset' })
    const unreachable = await browser.request('/welcome?x=1', html)
    expect(unreachable.status).toBe(502)
    expect(button(await unreachable.text())).toEqual({ href: '/welcome?x=1', label: 'Try again' })

    const refused = await browser.request('/auth/logout', html) // GET: 405
    expect(refused.status).toBe(405)
    expect(button(await refused.text())).toEqual({ href: '/', label: 'Back to the start' })
  })
})
