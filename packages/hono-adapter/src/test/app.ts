/**
 * The app the adapter's tests run (on Node and inside workerd): the adapter mounted in a Hono app, signing
 * in against the Workfront mock in-process, plus the test kit's cookie-keeping browser over it.
 */
import type { StoragePort, WorkfrontOAuthOptions } from '@workfront-oauth/core'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import type { Browser } from '@workfront-oauth/test-kit'
import { createBrowser as createKitBrowser, overMock } from '@workfront-oauth/test-kit'
import type { MockApp, WorkfrontMockOptions } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import type { ExecutionContext } from 'hono'
import { Hono } from 'hono'
import type { WorkfrontAuthOptions, WorkfrontEnv } from '../index.ts'
import { workfrontAuth } from '../index.ts'

export const APP_ORIGIN = 'https://app.example.com'
export const CLIENT_SECRET = 'app-secret-that-must-never-leak'
export const COOKIE_SECRET = 'cookie-secret-that-must-never-leak-0123456789'

export interface TestAppOptions {
  app?: Partial<MockApp>
  mock?: WorkfrontMockOptions
  oauth?: Partial<WorkfrontOAuthOptions>
  auth?: Partial<WorkfrontAuthOptions>
  store?: StoragePort
}

export function createTestApp(options: TestAppOptions = {}) {
  const mockApp: MockApp = {
    clientId: 'hono-app',
    clientSecrets: [CLIENT_SECRET],
    redirectUris: [`${APP_ORIGIN}/auth/callback`],
    type: 'web',
    rotation: true,
    ...options.app,
  }
  const mock = createWorkfrontMock({ apps: [mockApp], ...options.mock })
  /** Every host the OAuth client sent a request to. */
  const hosts: string[] = []
  const store = options.store ?? memoryStore()
  const oauth = createWorkfrontOAuth({
    ...overMock(mock, mockApp, { onRequest: (request) => void hosts.push(new URL(request.url).host) }),
    store,
    ...options.oauth,
  })
  const auth = workfrontAuth({
    oauth,
    appOrigin: APP_ORIGIN,
    cookieSecrets: [COOKIE_SECRET],
    ...options.auth,
  })
  const app = new Hono()
  app.onError(auth.onError)
  app.route('/auth', auth.routes())
  app.get('/', (c) => c.text('home'))
  // A public page: greets whoever is signed in, with their number of projects (an API call).
  app.get('/welcome', auth.optionalAuth(), async (c) => {
    const user = await auth.currentUser(c)
    if (!user || !c.var.workfront) return c.text('Hello stranger')
    return c.text(`Hello ${user.name} (${await c.var.workfront.count('proj')} projects)`)
  })
  const pages = new Hono<WorkfrontEnv>()
  pages.use(auth.requireAuth())
  pages.get('/projects', async (c) => c.json(await c.var.workfront.search('proj', { fields: ['status'] })))
  app.route('/app', pages)
  const api = new Hono<WorkfrontEnv>()
  api.use(auth.requireAuth({ onUnauthenticated: 'json' }))
  api.get('/projects', async (c) => c.json(await c.var.workfront.search('proj', { fields: ['status'] })))
  api.get('/count', async (c) => c.json({ count: await c.var.workfront.count('proj') }))
  api.get('/me', async (c) => c.json(await auth.currentUser(c)))
  app.route('/api', api)
  return { app, mock, oauth, auth, store, hosts }
}

export type TestApp = ReturnType<typeof createTestApp>

/**
 * The test kit's cookie-keeping browser over the app, in-process. `executionCtx` is the Workers runtime's
 * context of its requests (absent on Node).
 */
export function createBrowser(app: Hono, executionCtx?: ExecutionContext): Browser {
  return createKitBrowser(async (request) => app.request(request, undefined, undefined, executionCtx), {
    origin: APP_ORIGIN,
  })
}

/** Login → Workfront's pages (the mock) → the callback URL Workfront sends the browser back to. */
export async function authorize(
  t: TestApp,
  browser: Browser,
  returnTo = '/app/projects',
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  const login = await browser.request(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`)
  if (login.status !== 302) throw new Error(`login answered ${login.status}`)
  return completeAuthorization(t.mock, login.headers.get('location') as string, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
    decision,
  })
}

export async function signIn(t: TestApp, browser: Browser): Promise<Response> {
  const callback = await authorize(t, browser)
  return browser.request(`${callback.pathname}${callback.search}`)
}

/** How many refreshes the grant the store holds has been through (0 after the sign-in). */
export async function storedRefreshCount(store: StoragePort, grantId: string): Promise<number | null> {
  const stored = await store.getVersioned(`grant:${grantId}`)
  return stored === null ? null : (JSON.parse(stored.value) as { refreshCount: number }).refreshCount
}

/** The grant id the browser's session cookie names. */
export function sessionGrantId(browser: Browser): string {
  return (browser.jar.get('__Host-wf_session') as string).split('.')[0] as string
}
