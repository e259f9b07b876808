/**
 * @module The demo app, shared by the Worker entry (`worker.ts`) and the Node entry (`node.ts`): a Hono app
 * that signs users in with Workfront through `@workfront-oauth/hono-adapter`, shows their name, projects and
 * grant, and — in mock mode — serves the Workfront mock's pages and API under its own origin.
 */
import type { HTTPClient, StoragePort, WorkfrontOAuth } from '@workfront-oauth/core'
import {
  createWorkfrontOAuth,
  encryptedStore,
  errorInfo,
  isWorkfrontOAuthError,
  memoryStore,
  WorkfrontOAuthError,
} from '@workfront-oauth/core'
import type { Instrumentation } from '@workfront-oauth/core/adapters'
import { isSameOrigin, serializeCookie, wantsHTML } from '@workfront-oauth/core/adapters'
import type { WorkfrontAuth } from '@workfront-oauth/hono-adapter'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import type { Context } from 'hono'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { DemoConfig } from './config.ts'
import { ConfigError } from './config.ts'
import type { HTML, NoticeKey } from './pages.ts'
import { dashboardPage, errorPage, homePage, isNoticeKey, PAGE_HEADERS } from './pages.ts'

export interface DemoDependencies {
  /**
   * Where grants and login transactions live, before encryption (the app encrypts with
   * `TOKEN_ENCRYPTION_KEY`). Default: a new in-memory store.
   */
  store?: StoragePort
  /** Mock mode: the Workfront mock (`createDemoMock(config)` from `./mock.ts`); required in that mode. */
  mock?: WorkfrontMock
  /** The OAuth client's HTTP port. Default: the mock in-process in mock mode, else global `fetch`. */
  http?: HTTPClient
  /**
   * The client's address, the key of the per-client sign-in limit. Default: the adapter's (the socket on
   * Node, `CF-Connecting-IP` on Workers).
   */
  clientAddress?: (c: Context) => string | null | undefined
  /**
   * The app serves one request and is dropped (a Worker on Redis builds it per request): no per-process
   * caches, which could not be hit and would open a pub/sub connection per request.
   */
  perRequest?: boolean
  /** Traces and metrics of the OAuth client (`WORKFRONT_OAUTH_OTEL=console`). Default: none. */
  instrumentation?: Instrumentation
}

export interface DemoApp {
  app: Hono
  oauth: WorkfrontOAuth
  auth: WorkfrontAuth
  /** Mock mode only. */
  mock: WorkfrontMock | null
  config: DemoConfig
}

/** The projects query of the page and of `GET /api/projects`. */
export const PROJECTS_QUERY = {
  fields: ['status', 'plannedCompletionDate', 'percentComplete'],
  sort: 'name',
  limit: 100,
} as const

/**
 * The mock's demo user (`DEMO_USER` of the mock, checked by a test); its credentials are printed by the
 * entries and shown on the home page. Written out here so that the app does not import the mock: a Worker
 * built without it must not contain it.
 */
export const DEMO_CREDENTIALS: { readonly username: string; readonly password: string } = {
  username: 'demo@acme.test',
  password: 'demo',
}

/** Shown on every page when `WORKFRONT_MOCK=on`: inline styles, as the pages allow no stylesheet link. */
export const MOCK_BANNER =
  '<div role="note" class="mock-banner" style="background:#7a1616;color:#fff;padding:.6rem 1rem;font:600 1rem/1.4 system-ui,sans-serif;text-align:center">' +
  'Demo: this site runs a built-in Workfront mock, not Adobe Workfront. Anyone can sign in with the demo ' +
  'account; nothing here is real data.</div>'

export function createDemoApp(config: DemoConfig, deps: DemoDependencies = {}): DemoApp {
  if (config.workfront.mode === 'mock' && !deps.mock) {
    throw new ConfigError(
      'WORKFRONT_BASE_URL',
      'is required: this build has no Workfront mock (run `pnpm demo` for the mock, or set a real Workfront)',
    )
  }
  const mock = config.workfront.mode === 'mock' ? (deps.mock as WorkfrontMock) : null
  const inProcess: HTTPClient | undefined = mock
    ? (input, init) =>
        mock.fetch(input instanceof Request && init === undefined ? input : new Request(input, init))
    : undefined
  // Key ids derived from the keys. A record of a retired key means "signed out" (deleted, logged once)
  // rather than an error on every page load (issue #12, finding 4); a record of a key this instance does
  // not have is another instance's during a rollout, kept and answered 503 "try again" (issue #21, finding 3).
  const store = encryptedStore(deps.store ?? memoryStore(), {
    keys: config.tokenEncryptionKeys.map((key) => ({ key })),
    retiredKeyIds: config.tokenEncryptionRetiredKeyIds,
    undecryptable: 'delete',
  })

  const source = config.workfront
  const oauth = createWorkfrontOAuth({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    clientAuth: config.clientAuth,
    redirectUri: config.redirectUri,
    // Mock mode: the mock is mounted in this app, so Workfront's origin is the demo's own.
    ...(source.mode === 'multiTenant'
      ? { multiTenant: { allowedHosts: source.allowedHosts } }
      : { baseUrl: source.mode === 'fixed' ? source.baseUrl : config.publicUrl }),
    store,
    ...(deps.perRequest ? { nearCache: false } : {}),
    ...(config.apiVersion ? { apiVersion: config.apiVersion } : {}),
    ...((deps.http ?? inProcess) ? { http: deps.http ?? inProcess } : {}),
    ...(deps.instrumentation ? { instrumentation: deps.instrumentation } : {}),
  })

  const isMock = mock !== null
  const page = (
    c: Context,
    body: HTML,
    status: ContentfulStatusCode = 200,
    headers: Record<string, string> = {},
  ) => c.html(body, status, { ...PAGE_HEADERS, ...headers })

  // Multi-tenant: users name their org on the home page, so that is where signing in again starts.
  const signInUrl = source.mode === 'multiTenant' ? '/' : '/auth/login'
  const auth = workfrontAuth({
    oauth,
    appOrigin: config.publicUrl,
    cookieSecrets: config.sessionSecrets,
    ...(deps.perRequest ? { verifiedCookieCache: false } : {}),
    signInUrl,
    ...(deps.clientAddress ? { clientAddress: deps.clientAddress } : {}),
    renderError: async (error, { request, status, info, link }) => {
      if (!wantsHTML(request.headers)) {
        return Response.json({ error: { code: error.code, message: error.message } }, { status })
      }
      const { title, hint } = info
      const body = await errorPage({ mock: isMock, status, code: error.code, title, hint, action: link })
      return new Response(String(body), {
        status,
        headers: { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8' },
      })
    },
  })

  const workfrontLabel =
    source.mode === 'mock'
      ? `${mock?.host} (mock)`
      : source.mode === 'fixed'
        ? new URL(source.baseUrl).host
        : 'the organization you name'

  const home = (c: Context, notice: NoticeKey | undefined, headers: Record<string, string> = {}) =>
    page(
      c,
      homePage({
        mock: isMock,
        multiTenant: source.mode === 'multiTenant',
        demoUser: isMock ? DEMO_CREDENTIALS : undefined,
        workfrontLabel,
        notice,
      }),
      200,
      headers,
    )
  const clearSessionCookie = (): Record<string, string> => ({
    'set-cookie': serializeCookie(auth.web.flow.clearSession()),
  })

  const app = new Hono()
  // https: browsers must never come back over plain http (a year, this host only). @see issue #12, finding 8
  if (new URL(config.publicUrl).protocol === 'https:') {
    app.use(async (c, next) => {
      await next()
      c.res.headers.set('strict-transport-security', 'max-age=31536000')
    })
  }
  // The mock asked for by name: every page says that this is not Workfront. @see issue #12, finding 3
  if (config.mockBanner) {
    app.use(async (c, next) => {
      await next()
      if (!(c.res.headers.get('content-type') ?? '').startsWith('text/html')) return
      const html = await c.res.text()
      c.res = new Response(
        html.replace(/<body[^>]*>/i, (body) => `${body}${MOCK_BANNER}`),
        c.res,
      )
    })
  }
  app.onError((error, c) => {
    const expected =
      isWorkfrontOAuthError(error) || (error instanceof HTTPException && isWorkfrontOAuthError(error.cause))
    if (!expected) console.error('edge-demo: unexpected error', error)
    return auth.onError(error, c)
  })
  app.notFound((c) =>
    wantsHTML(c.req.raw.headers)
      ? page(
          c,
          errorPage({
            mock: isMock,
            status: 404,
            code: 'not_found',
            title: 'Page not found',
            hint: 'There is nothing at this address.',
            action: { label: 'Back to the start', href: '/' },
          }),
          404,
        )
      : c.json({ error: { code: 'not_found', message: 'Not found' } }, 404),
  )

  app.route('/auth', auth.routes())

  app.get('/', async (c) => {
    const query = c.req.query('notice')
    const notice = isNoticeKey(query) ? query : undefined
    const session = await auth.web.getSession(c.req.raw)
    if (session === null) return home(c, notice)
    try {
      // Who signed in is kept with the grant (read at sign-in and after each refresh): the page costs one API call.
      const projects = await session.client.search('proj', PROJECTS_QUERY)
      const grant = await oauth.getGrant(session.grantId)
      if (!grant) throw new WorkfrontOAuthError('grant_not_found', 'The grant is gone')
      return page(
        c,
        dashboardPage({
          mock: isMock,
          userName: grant.user?.name ?? grant.user?.userID ?? 'you',
          projects,
          grant,
          tenantNote: mock ? `The Workfront mock (tenant ${mock.host}), served by this demo` : undefined,
          now: Date.now(),
          notice,
        }),
      )
    } catch (error) {
      if (isWorkfrontOAuthError(error) && errorInfo(error.code).signInAgain) {
        return home(c, 'sign-in-again', clearSessionCookie())
      }
      throw error
    }
  })

  app.get('/api/session', async (c) => {
    const grantId = await auth.web.flow.session(c.req.raw)
    const grant = grantId === null ? null : await oauth.getGrant(grantId)
    c.header('cache-control', 'no-store')
    if (!grant) {
      if (grantId !== null) c.header('set-cookie', serializeCookie(auth.web.flow.clearSession()))
      return c.json({ signedIn: false })
    }
    return c.json({
      signedIn: true,
      tenantHost: new URL(grant.origin).host,
      wid: grant.wid,
      obtainedAt: new Date(grant.obtainedAt).toISOString(),
      refreshCount: grant.refreshCount,
    })
  })

  app.get('/api/projects', auth.requireAuth({ onUnauthenticated: 'json' }), async (c) => {
    c.header('cache-control', 'no-store')
    return c.json(await c.var.workfront.search('proj', PROJECTS_QUERY))
  })

  if (mock) {
    // The demo's "expire" button: a same-origin POST, so no other site can make a visitor press it.
    app.post('/mock/expire-sessions', (c) => {
      if (!isSameOrigin(c.req.raw, config.publicUrl)) {
        throw new WorkfrontOAuthError('csrf_rejected', 'This button only works from the demo’s own page')
      }
      mock.expireAllSessions()
      return c.redirect('/?notice=expired', 303)
    })
    // What reached the mock (token calls, refresh-token reuses, API calls by status): counts only, for the
    // storm tests, which judge a storm by what Workfront saw.
    app.get('/mock/counters', (c) => {
      c.header('cache-control', 'no-store')
      return c.json(mock.counters())
    })
    // Workfront's login and consent pages, token endpoint and API, under the demo's own origin.
    app.route('/', mock.app)
  }

  return { app, oauth, auth, mock, config }
}
