/**
 * `WebAuth.serve(app)`: a whole app as one fetch handler, as `Deno.serve`, `Bun.serve` or a Worker mounts it.
 * Signed in against the Workfront mock with a cookie-keeping browser: the sign-in routes, the session handed
 * to the app, `unauthenticated` answered by `Accept`, errors that end the session, pending writes kept.
 */
import { createBrowser } from '@workfront-oauth/test-kit'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { createWorkfrontOAuth } from '../client.ts'
import { WorkfrontOAuthError } from '../errors.ts'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { hiccupStore } from '../testing.ts'
import { createWebAuth } from './auth.ts'
import type { ServeOptions, Session, WebApp } from './auth-types.ts'

const APP = 'https://app.example.com'
const SECRET = 'client-secret-that-must-never-leak'

/** The app: `/` for anyone, `/projects` and `/api/projects` for signed-in users only. */
const app: WebApp = async (request, session) => {
  const { pathname } = new URL(request.url)
  if (pathname === '/') return new Response(session ? `Hello ${session.user?.name}` : 'Sign in')
  if (!session) throw new WorkfrontOAuthError('unauthenticated', 'Sign in with Workfront to continue')
  if (pathname === '/boom') throw new Error('a bug of the app')
  return Response.json(await session.client.search('proj'))
}

function setup(options: { serve?: ServeOptions; store?: StoragePort } = {}) {
  const mock = createWorkfrontMock({
    apps: [
      { clientId: 'web-app', clientSecrets: [SECRET], redirectUris: [`${APP}/auth/callback`], type: 'web' },
    ],
  })
  const oauth = createWorkfrontOAuth({
    clientId: 'web-app',
    clientSecret: SECRET,
    redirectUri: `${APP}/auth/callback`,
    baseUrl: `https://${mock.host}`,
    store: options.store ?? memoryStore(),
    http: (input, init) => mock.fetch(new Request(input, init)),
    logger: { warn: () => {}, error: () => {} },
  })
  const auth = createWebAuth({
    oauth,
    appOrigin: APP,
    cookieSecrets: ['cookie-secret-that-must-never-leak-0123456789'],
    logger: { warn: () => {}, error: () => {} },
  })
  const seen: Array<Session | null> = []
  const waited: Array<Promise<unknown>> = []
  const handler = auth.serve(async (request, session) => {
    seen.push(session)
    return app(request, session)
  }, options.serve)
  const send = (request: Request) => handler(request, { waitUntil: (promise) => waited.push(promise) })
  const browser = createBrowser(send, { origin: APP })
  async function signIn(): Promise<void> {
    const login = await browser.request('/auth/login?returnTo=/projects')
    const callback = await completeAuthorization(mock, login.headers.get('location') as string, DEMO_USER)
    expect((await browser.request(`${callback.pathname}${callback.search}`)).status).toBe(302)
  }
  return { mock, auth, handler, browser, signIn, seen, waited }
}

const html = { accept: 'text/html,application/xhtml+xml' }

describe('serve(app)', () => {
  it('answers the sign-in routes itself, and hands every other request to the app with its session', async () => {
    const { browser, signIn, seen, mock } = setup()
    expect(await (await browser.request('/')).text()).toBe('Sign in')
    expect(seen).toEqual([null])
    expect((await browser.request('/auth/nowhere')).status).toBe(404) // the handler's, not the app's
    expect(seen).toHaveLength(1)

    await signIn()
    expect(await (await browser.request('/')).text()).toBe(`Hello ${DEMO_USER.name}`)
    expect(seen.at(-1)?.user?.name).toBe(DEMO_USER.name)
    mock.expireAllSessions()
    const projects = await browser.request('/api/projects')
    expect(projects.status).toBe(200)
    expect(mock.counters().tokenCalls.refresh_token).toBe(1)
  })

  it('answers `unauthenticated` by Accept: pages go to sign in, API clients get 401 JSON', async () => {
    const { browser } = setup()
    const home = await browser.request('/', { headers: html })
    expect(home.headers.getSetCookie()).toEqual([]) // nothing to clear for a visitor without a session
    const page = await browser.request('/projects?tab=2', { headers: html })
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fprojects%3Ftab%3D2')
    expect(page.headers.get('cache-control')).toBe('no-store')
    const api = await browser.request('/api/projects')
    expect(api.status).toBe(401)
    expect(await api.json()).toEqual({
      error: { code: 'unauthenticated', message: 'Sign in with Workfront to continue' },
    })
  })

  it('takes a mode, or a function of the request, instead', async () => {
    const always = setup({ serve: { onUnauthenticated: 'json' } })
    expect((await always.browser.request('/projects', { headers: html })).status).toBe(401)
    const byPath = setup({
      serve: {
        onUnauthenticated: (r) => (new URL(r.url).pathname.startsWith('/api/') ? 'json' : 'redirect'),
      },
    })
    expect((await byPath.browser.request('/projects')).status).toBe(302)
    expect((await byPath.browser.request('/api/projects', { headers: html })).status).toBe(401)
  })

  it('a grant gone since sign-in: the app sees no session, the dead cookie is cleared on any page', async () => {
    const { browser, signIn, auth, seen } = setup()
    await signIn()
    const session = await auth.getSession({ headers: { cookie: browser.cookieHeader() } })
    await auth.oauth.logout(session?.grantId as string) // signed out elsewhere
    const home = await browser.request('/', { headers: html })
    expect(await home.text()).toBe('Sign in')
    expect(home.headers.getSetCookie().join('\n')).toMatch(/__Host-wf_session=; .*Max-Age=0/)
    expect(seen.at(-1)).toBeNull()
    await signIn()
    await auth.oauth.logout(
      (await auth.getSession({ headers: { cookie: browser.cookieHeader() } }))?.grantId as string,
    )
    const page = await browser.request('/projects', { headers: html })
    expect(page.status).toBe(302)
    expect(page.headers.getSetCookie().join('\n')).toMatch(/__Host-wf_session=; .*Max-Age=0/)
    expect(browser.jar.has('__Host-wf_session')).toBe(false)
    expect(seen.at(-1)).toBeNull()
  })

  it('an untyped failure of the app is a 500 `internal_error` page with nothing of the cause', async () => {
    const { browser, signIn } = setup()
    await signIn()
    const response = await browser.request('/boom')
    expect(response.status).toBe(500)
    const body = await response.text()
    expect(body).toContain('internal_error')
    expect(body).not.toContain('a bug of the app')
  })

  it('a store that fails: 503, never a 500', async () => {
    const { store, knobs } = hiccupStore()
    const first = setup({ store })
    await first.signIn()
    // Another process over the same store: its near cache is empty, so it reads the grant from the store.
    const other = setup({ store })
    knobs.failReads = true
    const response = await other.handler(
      new Request(`${APP}/projects`, { headers: { cookie: first.browser.cookieHeader() } }),
    )
    expect(response.status).toBe(503)
    expect((await response.json()).error.code).toBe('store_unavailable')
  })

  it('hands rotated tokens the store refused to waitUntil, after the app answered', async () => {
    const { store, knobs, inner } = hiccupStore()
    const { browser, signIn, mock, waited } = setup({ store })
    await signIn()
    expect(waited).toEqual([])
    mock.expireAllSessions()
    // The refresh's claim lands; its answer's writes fail more often than the request retries: held.
    knobs.passWrites = 1
    knobs.failWrites = 10
    expect((await browser.request('/api/projects')).status).toBe(200)
    expect(waited).toHaveLength(1)
    knobs.failWrites = 0
    await waited[0]
    expect(inner.size().records).toBe(1) // written once the store took it
  })
})
