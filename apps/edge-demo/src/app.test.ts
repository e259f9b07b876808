/**
 * The shared app on Node, in-process (`app.request`): every page and JSON route, in each Workfront mode.
 * The same flow runs inside workerd (`worker.workerd.test.ts`), in Chromium (`browser.test.ts`) and across
 * two Node processes on Redis (`multi-instance.test.ts`).
 */
import { encryptionKeyId, memoryStore } from '@workfront-oauth/core'
import { createWorkfrontMock, DEMO_USER as MOCK_USER } from '@workfront-oauth/workfront-mock'
import { describe, expect, it, vi } from 'vitest'
import { createDemoApp, DEMO_CREDENTIALS } from './app.ts'
import type { DemoEnv } from './config.ts'
import { parseConfig } from './config.ts'
import { createDemoMock } from './mock.ts'
import type { Fetch } from './test/browser-like.ts'
import { createBrowserLike, refreshCount, signIn } from './test/browser-like.ts'

const ORIGIN = 'http://127.0.0.1:8787'
const SESSION_SECRET = 'Wq3vN8xZp2LrT6yKc9bHj4mFd7sGa1eU5oIiRnV0tYw'

function setUp(env: DemoEnv = {}, deps: Parameters<typeof createDemoApp>[1] = {}) {
  const config = parseConfig({ SESSION_SECRET, ...env })
  const mock = config.workfront.mode === 'mock' ? { mock: createDemoMock(config) } : {}
  const demo = createDemoApp(config, { ...mock, ...deps })
  const fetch: Fetch = async (request) => demo.app.fetch(request)
  const browser = createBrowserLike(fetch, demo.config.publicUrl)
  return { demo, fetch, browser }
}

describe('mock mode: the whole flow', () => {
  it('home → mock login and consent → projects → expire → one refresh → sign out', async () => {
    const { demo, fetch, browser } = setUp()
    const mock = demo.mock!

    const home = await browser.request('/')
    expect(home.status).toBe(200)
    const homeHTML = await home.text()
    expect(homeHTML).toContain('href="/auth/login">Sign in with Workfront</a>')
    expect(homeHTML).toContain('<code>demo@acme.test</code>')
    expect(homeHTML).not.toContain('name="tenant"')

    // Workfront's pages are served under the demo's own origin.
    const login = await browser.request('/auth/login')
    const authorize = new URL(login.headers.get('location') as string)
    expect(authorize.origin).toBe(ORIGIN)
    expect(authorize.pathname).toBe('/integrations/oauth2/authorize')
    expect(await (await browser.request(authorize.href)).text()).toContain('Sign in to Workfront (mock)')

    const callback = await signIn(browser, { mockFetch: fetch })
    expect(callback.status).toBe(302)
    expect(callback.headers.get('location')).toBe('/')
    expect(browser.jar.has('wf_session')).toBe(true)

    const page = await (await browser.request('/')).text()
    expect(page).toContain(`Hello, ${MOCK_USER.name}`)
    expect(page).toContain('Website Redesign')
    expect(page.match(/<th scope="row">/g)).toHaveLength(12)
    expect(page).toContain('<code>127.0.0.1:8787</code>')
    expect(page).toContain('action="/mock/expire-sessions"')
    expect(refreshCount(page)).toBe(0)

    const session = await (
      await browser.request('/api/session', { headers: { accept: 'application/json' } })
    ).json()
    expect(session).toMatchObject({
      signedIn: true,
      tenantHost: '127.0.0.1:8787',
      wid: expect.any(String),
      refreshCount: 0,
    })
    const projects = (await (await browser.request('/api/projects')).json()) as Array<Record<string, unknown>>
    expect(projects).toHaveLength(12)
    expect(projects[0]).toEqual({
      ID: expect.any(String),
      name: 'Annual Report',
      objCode: 'PROJ',
      status: 'CPL',
      plannedCompletionDate: expect.any(String),
      percentComplete: 100,
    })

    // The expire button: same-origin POSTs only.
    const forged = await browser.request('/mock/expire-sessions', {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    })
    expect(forged.status).toBe(403)
    expect(await forged.text()).toContain('Request refused')
    const noOrigin = await browser.request('/mock/expire-sessions', { method: 'POST' })
    expect(noOrigin.status).toBe(403)
    mock.resetCounters()
    const expire = await browser.post('/mock/expire-sessions')
    expect(expire.status).toBe(303)
    expect(expire.headers.get('location')).toBe('/?notice=expired')

    const refreshed = await (await browser.request('/?notice=expired')).text()
    expect(refreshed).toContain('Every Workfront session was expired')
    expect(refreshed).toContain('Website Redesign')
    expect(refreshCount(refreshed)).toBe(1)
    // The page's one API call was rejected (who signed in was read at sign-in); the grant was refreshed once.
    expect(mock.counters().tokenCalls.refresh_token).toBe(1)
    expect(mock.counters().apiCalls['401']).toBe(1)
    // The same counters over HTTP, for tests that reach the demo only through a server.
    const counters = await browser.request('/mock/counters')
    expect(counters.headers.get('cache-control')).toBe('no-store')
    expect(await counters.json()).toEqual(mock.counters())

    const logout = await browser.post('/auth/logout?returnTo=%2F%3Fnotice%3Dsigned-out')
    expect(logout.status).toBe(303)
    expect(logout.headers.get('location')).toBe('/?notice=signed-out')
    expect(browser.jar.has('wf_session')).toBe(false)
    expect(await (await browser.request('/?notice=signed-out')).text()).toContain('You are signed out')
    expect(await (await browser.request('/api/session')).json()).toEqual({ signedIn: false })
    const api = await browser.request('/api/projects', { headers: { accept: 'application/json' } })
    expect(api.status).toBe(401)
    expect(await api.json()).toMatchObject({ error: { code: 'unauthenticated' } })
  })

  it('pages are accessible and locked down', async () => {
    const { fetch, browser } = setUp()
    await signIn(browser, { mockFetch: fetch })
    const response = await browser.request('/')
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(response.headers.get('cache-control')).toBe('no-store')
    const html = await response.text()
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/)
    for (const landmark of ['<header', '<main id="main"', '<footer', '<nav aria-label="Account">']) {
      expect(html).toContain(landmark)
    }
    expect(html).toContain('<a class="skip" href="#main">')
    expect(html).toMatch(/<caption>12 projects/)
    expect(html.match(/<th scope="col"/g)).toHaveLength(4)
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/)
  })

  it('escapes what Workfront returns', async () => {
    const config = parseConfig({ SESSION_SECRET })
    const mock = createWorkfrontMock({
      apps: [
        {
          clientId: 'demo-client',
          clientSecrets: ['demo-secret'],
          type: 'web',
          redirectUris: [config.redirectUri],
        },
      ],
      projects: [
        {
          ID: 'p1',
          name: '<img src=x onerror=alert(1)>',
          status: '"><script>',
          plannedCompletionDate: '2026-01-01T00:00:00:000-0000',
          ownerID: 'u',
          percentComplete: 1,
        },
      ],
    })
    const { fetch, browser } = setUp({}, { mock })
    await signIn(browser, { mockFetch: fetch })
    const html = await (await browser.request('/')).text()
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(html).not.toContain('<img src=x')
    expect(html).not.toContain('"><script>')
  })

  it('a public PKCE client and Basic client authentication work against the mock too', async () => {
    for (const env of [{ WORKFRONT_CLIENT_ID: 'demo-spa' }, { WORKFRONT_CLIENT_AUTH: 'basic' }]) {
      const { demo, fetch, browser } = setUp(env)
      expect((await signIn(browser, { mockFetch: fetch })).status).toBe(302)
      expect((await browser.request('/api/projects')).status).toBe(200)
      expect(demo.mock!.counters().tokenCalls.authorization_code).toBe(1)
    }
  })
})

describe('errors are friendly pages', () => {
  it('the user denies access', async () => {
    const { fetch, browser } = setUp()
    const response = await signIn(browser, { mockFetch: fetch, decision: 'deny' })
    expect(response.status).toBe(403)
    const html = await response.text()
    expect(html).toContain('<h1>Access was not granted</h1>')
    expect(html).toContain('<main id="main"')
    expect(html).not.toMatch(/ at \w+ \(|\.ts:\d/)
  })

  it('a forged or replayed callback', async () => {
    const { browser } = setUp()
    const response = await browser.request('/auth/callback?code=x&state=forged&domain=acme&lane=my')
    expect(response.status).toBe(400)
    const page = await response.text()
    expect(page).toContain('This sign-in link is no longer valid')
    // The action that helps: start a new sign-in, not "back to the start".
    expect(page).toContain('<a class="button primary" href="/auth/login">Sign in again</a>')
    const json = await browser.request('/auth/callback?code=x&state=forged', {
      headers: { accept: 'application/json' },
    })
    expect(await json.json()).toMatchObject({ error: { code: 'state_mismatch' } })
  })

  it('unknown pages', async () => {
    const { browser } = setUp()
    const page = await browser.request('/nope')
    expect(page.status).toBe(404)
    const text = await page.text()
    expect(text).toContain('Page not found')
    expect(text).toContain('<a class="button primary" href="/">Back to the start</a>')
    const json = await browser.request('/nope', { headers: { accept: 'application/json' } })
    expect(await json.json()).toEqual({ error: { code: 'not_found', message: 'Not found' } })
  })

  it('a grant that is gone: sign in again, and the cookie is cleared', async () => {
    const store = memoryStore()
    const { fetch, browser } = setUp({}, { store })
    await signIn(browser, { mockFetch: fetch })
    const grantId = (browser.jar.get('wf_session') as string).split('.')[0] as string
    await store.delete(`grant:${grantId}`)
    const response = await browser.request('/')
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('Your Workfront authorization has ended')
    expect(browser.jar.has('wf_session')).toBe(false)
  })

  it('a refresh token Workfront no longer accepts: sign in again', async () => {
    const { demo, fetch, browser } = setUp()
    await signIn(browser, { mockFetch: fetch })
    demo.mock!.reset() // forgets every grant, as if the refresh token had expired
    const response = await browser.request('/')
    expect(await response.text()).toContain('Please sign in again')
    expect(browser.jar.has('wf_session')).toBe(false)
  })

  it('Workfront failing: a 502 page, the user stays signed in', async () => {
    const { demo, fetch, browser } = setUp()
    await signIn(browser, { mockFetch: fetch })
    demo.mock!.injectFailure({ endpoint: 'api', kind: 'status500', times: 2 })
    const response = await browser.request('/')
    expect(response.status).toBe(502)
    expect(await response.text()).toContain('Workfront refused the request')
    expect(browser.jar.has('wf_session')).toBe(true)
  })

  it('Workfront unreachable: "Try again" reloads the same page', async () => {
    const { demo, fetch, browser } = setUp()
    await signIn(browser, { mockFetch: fetch })
    demo.mock!.injectFailure({ endpoint: 'api', kind: 'reset', times: 2 })
    const response = await browser.request('/')
    expect(response.status).toBe(502)
    expect(await response.text()).toContain('<a class="button primary" href="/">Try again</a>')
  })

  it('tokens are encrypted at rest', async () => {
    const store = memoryStore()
    const { fetch, browser } = setUp({}, { store })
    await signIn(browser, { mockFetch: fetch })
    const grantId = (browser.jar.get('wf_session') as string).split('.')[0] as string
    const record = await store.getVersioned(`grant:${grantId}`)
    expect(record?.value).toMatch(/^wfe1\.k[A-Za-z0-9_-]{11}\./)
  })
})

// Issue #12 finding 4: after a key change every load answered 503 for days and the cookie stayed.
describe('keys change and rotate', () => {
  const KEY_A = 'S4MRQoa4FB_HuYpFB60jIyoFUEmpXVDbMbBHRqcUZPk'
  const KEY_B = 'USTG2hHoKeHjkxGhHa0OP3Rg7l-65I3eEFdZX47xlf0'
  const OTHER_SECRET = 'pE7hW2qL9zX4cV6bN1mK8jH3gF5dS0aQyRtUiOp2Lk'

  it('a grant of a retired key means signed out: cookie cleared, record deleted, logged once', async () => {
    const store = memoryStore()
    const before = setUp({ TOKEN_ENCRYPTION_KEY: KEY_A }, { store })
    await signIn(before.browser, { mockFetch: before.fetch })
    const grantId = (before.browser.jar.get('wf_session') as string).split('.')[0] as string
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      // Restarted with another key and the old one retired, the same store and the same mock.
      const config = parseConfig({
        SESSION_SECRET,
        TOKEN_ENCRYPTION_KEY: KEY_B,
        TOKEN_ENCRYPTION_RETIRED_KEY_IDS: await encryptionKeyId(KEY_A),
      })
      const after = createDemoApp(config, { store, mock: before.demo.mock! })
      const browser = createBrowserLike(async (request) => after.app.fetch(request), config.publicUrl)
      for (const [name, value] of before.browser.jar) browser.jar.set(name, value)
      const session = await browser.request('/api/session', { headers: { accept: 'application/json' } })
      expect(session.status).toBe(200)
      expect(await session.json()).toEqual({ signedIn: false })
      expect(browser.jar.has('wf_session')).toBe(false)
      expect(await store.getVersioned(`grant:${grantId}`)).toBeNull()
      const home = await browser.request('/')
      expect(home.status).toBe(200)
      expect(await home.text()).toContain('Sign in with Workfront')
      expect(warn).toHaveBeenCalledTimes(1)
      expect(JSON.stringify(warn.mock.calls)).not.toContain(KEY_A)
    } finally {
      warn.mockRestore()
    }
  })

  // Issue #21 finding 3: an instance still on the old key deleted what an upgraded one had sealed, and a
  // sign-in that crossed instances failed with state_mismatch.
  it('a rolling deploy, new key first: the old instance keeps the grant and says "try again"', async () => {
    const store = memoryStore()
    const upgraded = setUp({ TOKEN_ENCRYPTION_KEY: `${KEY_B},${KEY_A}` }, { store })
    const config = parseConfig({ SESSION_SECRET, TOKEN_ENCRYPTION_KEY: KEY_A })
    const old = createDemoApp(config, { store, mock: upgraded.demo.mock! })
    const oldFetch: Fetch = async (request) => old.app.fetch(request)
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
    try {
      // A load balancer: the sign-in starts on the upgraded instance, its callback lands on the old one.
      let callback: string | undefined
      const balanced: Fetch = async (request) => {
        const url = new URL(request.url)
        if (url.pathname !== '/auth/callback' || callback !== undefined) return upgraded.fetch(request)
        callback = `${url.pathname}${url.search}`
        return oldFetch(request)
      }
      const browser = createBrowserLike(balanced, config.publicUrl)
      const refused = await signIn(browser, { mockFetch: upgraded.fetch })
      expect(refused.status).toBe(503)
      const page = await refused.text()
      expect(page).toContain('This app is being updated')
      expect(page).toContain('Try again')
      // The user's retry reaches the upgraded instance: the login was kept, and the sign-in completes.
      const done = await browser.request(callback as string)
      expect(done.status).toBe(302)
      const grantId = (browser.jar.get('wf_session') as string).split('.')[0] as string
      // The old instance answers 503 for the new grant, and keeps both the grant and the cookie.
      const onOld = createBrowserLike(oldFetch, config.publicUrl)
      for (const [name, value] of browser.jar) onOld.jar.set(name, value)
      expect((await onOld.request('/')).status).toBe(503)
      expect(onOld.jar.has('wf_session')).toBe(true)
      expect(await store.getVersioned(`grant:${grantId}`)).not.toBeNull()
      expect((await browser.request('/')).status).toBe(200)
      expect(JSON.stringify(warn.mock.calls)).toContain(await encryptionKeyId(KEY_B))
    } finally {
      warn.mockRestore()
    }
  })

  it('rotation: the new key and secret first, the old ones after a comma; old sessions keep working', async () => {
    const store = memoryStore()
    const before = setUp({ TOKEN_ENCRYPTION_KEY: KEY_A }, { store })
    await signIn(before.browser, { mockFetch: before.fetch })
    const config = parseConfig({
      SESSION_SECRET: `${OTHER_SECRET},${SESSION_SECRET}`,
      TOKEN_ENCRYPTION_KEY: `${KEY_B},${KEY_A}`,
    })
    const after = createDemoApp(config, { store, mock: before.demo.mock! })
    const browser = createBrowserLike(async (request) => after.app.fetch(request), config.publicUrl)
    for (const [name, value] of before.browser.jar) browser.jar.set(name, value)
    expect(
      await (await browser.request('/api/session', { headers: { accept: 'application/json' } })).json(),
    ).toMatchObject({
      signedIn: true,
    })
    // Written again with the first key, signed again with the first secret.
    await signIn(browser, { mockFetch: async (request) => after.app.fetch(request) })
    const grantId = (browser.jar.get('wf_session') as string).split('.')[0] as string
    expect((await store.getVersioned(`grant:${grantId}`))?.value).toMatch(
      new RegExp(`^wfe1\\.${await encryptionKeyId(KEY_B)}\\.`),
    )
  })
})

// Issue #12 findings 3 and 8.
describe('served on a public address', () => {
  it('https: every response carries HSTS; plain http on loopback does not', async () => {
    const { browser, fetch } = setUp({ PUBLIC_URL: 'https://demo.example.com', WORKFRONT_MOCK: 'on' })
    for (const path of ['/', '/auth/login', '/nope', '/api/session']) {
      expect((await browser.request(path)).headers.get('strict-transport-security')).toBe('max-age=31536000')
    }
    await signIn(browser, { mockFetch: fetch })
    expect((await browser.request('/')).headers.get('strict-transport-security')).toBe('max-age=31536000')
    const local = setUp()
    expect((await local.browser.request('/')).headers.get('strict-transport-security')).toBeNull()
  })

  it('WORKFRONT_MOCK=on: a banner on every page, the mock’s own pages too', async () => {
    const { browser, fetch } = setUp({ PUBLIC_URL: 'https://demo.example.com', WORKFRONT_MOCK: 'on' })
    const pages = [await browser.request('/'), await browser.request('/nope')]
    const login = await browser.request('/auth/login')
    pages.push(await browser.request(login.headers.get('location') as string))
    await signIn(browser, { mockFetch: fetch })
    pages.push(await browser.request('/'))
    pages.push(await browser.request('/auth/callback?code=x&state=y'))
    for (const page of pages) {
      expect(page.headers.get('content-type')).toContain('text/html')
      expect(await page.text()).toContain('not Adobe Workfront')
    }
    expect(await (await setUp().browser.request('/')).text()).not.toContain('not Adobe Workfront')
  })
})

describe('a real Workfront (the mock standing in as the HTTP port)', () => {
  const REAL = {
    WORKFRONT_CLIENT_ID: 'acme-app',
    WORKFRONT_CLIENT_SECRET: 'acme-secret',
    PUBLIC_URL: 'https://demo.example.com',
  }
  const workfront = (redirectUri: string) =>
    createWorkfrontMock({
      apps: [
        { clientId: 'acme-app', clientSecrets: ['acme-secret'], type: 'web', redirectUris: [redirectUri] },
      ],
    })

  it('one org: no mock routes, no expire button', async () => {
    const mock = workfront('https://demo.example.com/auth/callback')
    const { demo, browser } = setUp(
      { ...REAL, WORKFRONT_BASE_URL: 'https://acme.my.workfront.com' },
      { http: (input, init) => mock.fetch(new Request(input, init)) },
    )
    expect(demo.mock).toBeNull()
    expect((await browser.request('/integrations/oauth2/authorize')).status).toBe(404)
    expect(await (await browser.request('/')).text()).not.toContain('demo@acme.test')
    const login = await browser.request('/auth/login')
    expect(new URL(login.headers.get('location') as string).origin).toBe('https://acme.my.workfront.com')
    await signIn(browser, { mockFetch: mock.fetch })
    expect(browser.jar.has('__Host-wf_session')).toBe(true)
    const page = await (await browser.request('/')).text()
    expect(page).toContain(`Hello, ${MOCK_USER.name}`)
    expect(page).toContain('<code>acme.my.workfront.com</code>')
    expect(page).not.toContain('expire-sessions')
    expect((await browser.post('/mock/expire-sessions')).status).toBe(404)
    expect((await browser.request('/mock/counters')).status).toBe(404)
  })

  it('multi-tenant: the home page asks for the org, and the login goes there', async () => {
    const mock = workfront('https://demo.example.com/auth/callback')
    const { browser } = setUp(
      { ...REAL, WORKFRONT_MULTI_TENANT: '*.my.workfront.com' },
      { http: (input, init) => mock.fetch(new Request(input, init)) },
    )
    const home = await (await browser.request('/')).text()
    expect(home).toContain('<label for="tenant">Your Workfront organization</label>')
    expect(home).toMatch(/<input type="text" id="tenant" name="tenant" required/)
    expect(home).toContain('<form method="get" action="/auth/login">')

    const refused = await browser.request('/auth/login?tenant=acme.sb01.workfront.com')
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('That Workfront organization is not allowed')

    const callback = await signIn(browser, { mockFetch: mock.fetch, loginUrl: '/auth/login?tenant=acme' })
    expect(callback.status).toBe(302)
    const session = await (await browser.request('/api/session')).json()
    expect(session).toMatchObject({ signedIn: true, tenantHost: 'acme.my.workfront.com' })

    // Signing in again starts where users name their org.
    const replay = await browser.request('/auth/callback?code=x&state=forged&domain=acme&lane=my')
    expect(await replay.text()).toContain('<a class="button primary" href="/">Sign in again</a>')
  })
})

describe('createDemoMock', () => {
  it('has the demo user whose credentials the app shows', () => {
    expect(DEMO_CREDENTIALS).toEqual({ username: MOCK_USER.username, password: MOCK_USER.password })
  })

  it('is required in mock mode: a build without the mock refuses to run without a real Workfront', () => {
    expect(() => createDemoApp(parseConfig({}))).toThrow(
      /^WORKFRONT_BASE_URL: is required: this build has no Workfront mock/,
    )
  })

  it('registers exactly the demo’s client and redirect URI', async () => {
    const config = parseConfig({ PUBLIC_URL: 'http://localhost:9999' })
    const mock = createDemoMock(config)
    const authorize = (redirect: string) =>
      mock.fetch(
        new Request(
          `http://localhost:9999/integrations/oauth2/authorize?${new URLSearchParams({ client_id: 'demo-client', redirect_uri: redirect, response_type: 'code' })}`,
        ),
      )
    expect((await authorize('http://localhost:9999/auth/callback')).status).toBe(200)
    expect((await authorize('http://127.0.0.1:8787/auth/callback')).status).toBe(400)
  })
})
