import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WorkfrontOAuth } from '../client.ts'
import { createWorkfrontOAuth } from '../client.ts'
import type { ErrorCode } from '../errors.ts'
import { isWorkfrontOAuthError } from '../errors.ts'
import { TOKEN_PATH } from '../machine.ts'
import { memoryStore } from '../memory-store.ts'
import type { HTTPClient, StoragePort } from '../ports.ts'
import { createWebAuth } from './auth.ts'
import type { CookieInstruction } from './cookies.ts'
import { parseCookies, readCookie, serializeCookie } from './cookies.ts'
import { createWebFlow } from './flow.ts'
import type { WebFlow, WebFlowOptions, WebResult } from './flow-types.ts'
import { validateReturnTo } from './return-to.ts'
import { createCookieSigner } from './signer.ts'

const WORKFRONT = 'https://acme.my.workfront.com'
const APP = 'https://app.example.com'
const REDIRECT_URI = `${APP}/auth/callback`
const CLIENT_ID = 'client-8d2f'
const CLIENT_SECRET = 'cs-SECRET-5e1b7a3c9d0f2e4a6b8c'
const COOKIE_SECRETS = [
  'cookie-secret-new-0123456789abcdefghijkl',
  'cookie-secret-old-0123456789abcdefghijkl',
]

/**
 * Workfront, as far as these steps meet it: the authorize page (which, once the user has consented, sends
 * the browser back with a code), the token endpoint and the logout call. Codes are single-use and bound
 * to the redirect URI; tokens are random; a logout ends a session that exists.
 */
function fakeWorkfront() {
  const codes = new Map<string, string>()
  const sessions = new Set<string>()
  const issued: string[] = []
  const loggedOut: string[] = []
  const requests: { url: string; method: string; headers: Headers; body: string }[] = []
  const random = (prefix: string): string => `${prefix}-${crypto.randomUUID()}`
  const json = (status: number, body: unknown): Response =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })

  const http: HTTPClient = async (input, init) => {
    const request = new Request(input, init)
    const body = await request.text()
    requests.push({ url: request.url, method: request.method, headers: request.headers, body })
    const url = new URL(request.url)
    if (url.origin !== WORKFRONT) throw new TypeError('fetch failed: no such host')
    if (url.pathname === TOKEN_PATH && request.method === 'POST') {
      const form = new URLSearchParams(body)
      if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET) {
        return json(401, { statusCode: 401, error: true, type: 'invalid_client', message: 'Bad client' })
      }
      if (form.get('grant_type') !== 'authorization_code')
        return json(400, { error: 'unsupported_grant_type' })
      const code = form.get('code') ?? ''
      const boundTo = codes.get(code)
      codes.delete(code)
      if (boundTo === undefined || boundTo !== form.get('redirect_uri')) {
        return json(400, { statusCode: 400, error: true, type: 'invalid_grant', message: 'Invalid code' })
      }
      const accessToken = random('session')
      const refreshToken = random('refresh')
      sessions.add(accessToken)
      issued.push(accessToken, refreshToken)
      return json(200, {
        token_type: 'sessionID',
        access_token: accessToken,
        refresh_token: refreshToken,
        expires_in: 0,
        wid: 'wid-42',
      })
    }
    if (/^\/attask\/api\/v\d+\.\d\/logout$/.test(url.pathname) && request.method === 'GET') {
      const session = request.headers.get('sessionID') ?? ''
      if (!sessions.delete(session)) {
        return json(401, {
          error: { class: 'com.attask.common.AuthenticationException', message: 'Not logged in' },
        })
      }
      loggedOut.push(session)
      return json(200, { data: { success: true } })
    }
    return json(404, { error: { message: 'Not found' } })
  }

  /** The user consents: Workfront sends the browser to the redirect URI with a code, echoing `state`. */
  function authorize(location: string): string {
    const url = new URL(location)
    expect(`${url.origin}${url.pathname}`).toBe(`${WORKFRONT}/integrations/oauth2/authorize`)
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID)
    expect(url.searchParams.get('response_type')).toBe('code')
    const redirectUri = url.searchParams.get('redirect_uri') as string
    const code = random('code')
    codes.set(code, redirectUri)
    issued.push(code)
    const callback = new URL(redirectUri)
    callback.searchParams.set('code', code)
    callback.searchParams.set('state', url.searchParams.get('state') ?? '')
    callback.searchParams.set('domain', 'acme')
    callback.searchParams.set('lane', 'my')
    return callback.href
  }

  return { http, authorize, requests, issued, loggedOut, sessions }
}

/** A browser: a cookie jar that takes the flow's cookie instructions and sends the cookies back. */
class Browser {
  readonly jar = new Map<string, string>()
  headers(extra: Record<string, string> = {}): Headers {
    const headers = new Headers(extra)
    if (this.jar.size > 0) headers.set('cookie', [...this.jar].map(([k, v]) => `${k}=${v}`).join('; '))
    return headers
  }
  apply(cookies: readonly CookieInstruction[]): void {
    for (const c of cookies) {
      if (c.attributes.maxAge === 0) this.jar.delete(c.name)
      else this.jar.set(c.name, c.value)
    }
  }
}

interface Harness {
  oauth: WorkfrontOAuth
  store: StoragePort
  flow: WebFlow
  workfront: ReturnType<typeof fakeWorkfront>
  /** Every body, header and error the steps produced, for the secrecy check. */
  outputs: string[]
  step(
    browser: Browser,
    name: 'login' | 'callback' | 'logout',
    url: string,
    init?: { method?: string; headers?: Record<string, string> },
  ): Promise<{ result: WebResult; response: Response }>
  /** login → Workfront → callback, in one browser. */
  signIn(browser: Browser, returnTo?: string): Promise<{ result: WebResult; response: Response }>
}

function createHarness(overrides: Partial<WebFlowOptions> = {}): Harness {
  const workfront = fakeWorkfront()
  const store = memoryStore()
  const oauth = createWorkfrontOAuth({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    baseUrl: WORKFRONT,
    store,
    http: workfront.http,
    // This Workfront only has a token endpoint: no API to read the user from (auth.test.ts reads it).
    user: false,
  })
  const auth = createWebAuth({ oauth, appOrigin: APP, cookieSecrets: COOKIE_SECRETS, ...overrides })
  const flow = auth.flow
  const outputs: string[] = []
  const harness: Harness = {
    oauth,
    store,
    flow,
    workfront,
    outputs,
    async step(browser, name, url, init = {}) {
      const request = new Request(new URL(url, APP), {
        method: init.method ?? (name === 'logout' ? 'POST' : 'GET'),
        headers: browser.headers(init.headers),
      })
      const result = await flow[name](request)
      const response = await auth.toResponse(result, request)
      outputs.push(JSON.stringify([...response.headers]), await response.clone().text())
      if (result.type === 'error') {
        outputs.push(JSON.stringify(result.error), String(result.error), result.error.stack ?? '')
      }
      browser.apply(result.cookies)
      return { result, response }
    },
    async signIn(browser, returnTo) {
      const query = returnTo === undefined ? '' : `?${new URLSearchParams({ returnTo })}`
      const login = await harness.step(browser, 'login', `/auth/login${query}`)
      if (login.result.type !== 'redirect') return login
      return harness.step(browser, 'callback', workfront.authorize(login.result.location))
    },
  }
  return harness
}

function expectError(
  result: WebResult,
  code: ErrorCode,
  status: number,
): asserts result is Extract<WebResult, { type: 'error' }> {
  expect(result.type).toBe('error')
  if (result.type !== 'error') throw new Error('unreachable')
  expect(result.error.code).toBe(code)
  expect(result.status).toBe(status)
}

function expectRedirect(result: WebResult): Extract<WebResult, { type: 'redirect' }> {
  expect(result).toMatchObject({ type: 'redirect' })
  return result as Extract<WebResult, { type: 'redirect' }>
}

let h: Harness
beforeEach(() => {
  h = createHarness()
})
afterEach(() => {
  // Nothing secret ever leaves through a response or an error: client secret, cookie keys, codes, tokens.
  const secrets = [CLIENT_SECRET, ...COOKIE_SECRETS, ...h.workfront.issued]
  for (const output of h.outputs) for (const secret of secrets) expect(output).not.toContain(secret)
})

describe('login', () => {
  it('redirects to the documented authorize link, parameters in order, with a fresh state', async () => {
    const { result, response } = await h.step(new Browser(), 'login', '/auth/login')
    const { location, status } = expectRedirect(result)
    expect(status).toBe(302)
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe(location)
    expect(location).toMatch(
      /^https:\/\/acme\.my\.workfront\.com\/integrations\/oauth2\/authorize\?client_id=client-8d2f&redirect_uri=https%3A%2F%2Fapp\.example\.com%2Fauth%2Fcallback&response_type=code&state=[A-Za-z0-9_-]{43,}$/,
    )
    const url = new URL(location)
    expect([...url.searchParams.keys()]).toEqual(['client_id', 'redirect_uri', 'response_type', 'state'])
    expect(url.searchParams.get('redirect_uri')).toBe(REDIRECT_URI)
    const again = expectRedirect((await h.step(new Browser(), 'login', '/auth/login')).result)
    expect(new URL(again.location).searchParams.get('state')).not.toBe(url.searchParams.get('state'))
  })

  it('sets the login-binding cookie with exact attributes', async () => {
    const { result, response } = await h.step(new Browser(), 'login', '/auth/login')
    expect(result.cookies).toHaveLength(1)
    const [cookie] = result.cookies as [CookieInstruction]
    expect(cookie.name).toBe('__Host-wf_login')
    expect(cookie.attributes).toEqual({
      httpOnly: true,
      secure: true,
      sameSite: 'lax',
      path: '/',
      maxAge: 900,
    })
    expect(serializeCookie(cookie)).toMatch(
      /^__Host-wf_login=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=900; SameSite=Lax; HttpOnly; Secure$/,
    )
    expect(response.headers.getSetCookie()).toEqual([serializeCookie(cookie)])
    expect(response.headers.get('cache-control')).toBe('no-store')
  })

  it('uses the configured cookie names and lifetimes', async () => {
    const custom = createHarness({
      loginCookieName: 'signin',
      loginMaxAgeSeconds: 60,
      sessionCookieName: 'sid',
    })
    expect(custom.flow.cookieNames).toEqual({ login: '__Host-signin', session: '__Host-sid' })
    const { result } = await custom.step(new Browser(), 'login', '/auth/login')
    expect(serializeCookie(result.cookies[0] as CookieInstruction)).toMatch(/^__Host-signin=.*; Max-Age=60;/)
  })

  it.each(['http://127.0.0.1:8787', 'http://localhost:8787', 'http://[::1]:8787'])(
    'on a loopback http origin (%s) uses no __Host- prefix and no Secure',
    async (appOrigin) => {
      const local = createHarness({ appOrigin })
      expect(local.flow.cookieNames).toEqual({ login: 'wf_login', session: 'wf_session' })
      const { result } = await local.step(new Browser(), 'login', `${appOrigin}/auth/login`)
      const line = serializeCookie(result.cookies[0] as CookieInstruction)
      expect(line).toMatch(/^wf_login=[^;]+; Path=\/; Max-Age=900; SameSite=Lax; HttpOnly$/)
      expect(line).not.toContain('Secure')
      expect(line).not.toContain('__Host-')
    },
  )

  it.each([
    'http://example.com',
    'http://app.example.com:8080',
    'ftp://app.example.com',
    'app.example.com',
    '',
  ])('refuses the app origin %j', (appOrigin) => {
    expect(() => createWebFlow({ oauth: h.oauth, appOrigin, cookieSecrets: COOKIE_SECRETS })).toThrow(
      expect.objectContaining({ name: 'WorkfrontOAuthError', code: 'invalid_options' }),
    )
  })

  it('refuses missing or short cookie secrets', () => {
    for (const cookieSecrets of [[], ['x'.repeat(31)], [COOKIE_SECRETS[0] as string, 'short']]) {
      expect(() => createWebFlow({ oauth: h.oauth, appOrigin: APP, cookieSecrets })).toThrow(
        expect.objectContaining({ code: 'invalid_options' }),
      )
    }
  })

  it.each<[string, Partial<WebFlowOptions>]>([
    ['a name that would inject an attribute', { sessionCookieName: 'sid; Domain=example.com' }],
    ['a name with =', { loginCookieName: 'a=b' }],
    ['an empty name', { sessionCookieName: '' }],
    ['one name for both cookies', { sessionCookieName: 'wf', loginCookieName: 'wf' }],
    ['a zero lifetime', { sessionMaxAgeSeconds: 0 }],
    ['a negative lifetime', { loginMaxAgeSeconds: -1 }],
    ['a fractional lifetime', { sessionMaxAgeSeconds: 1.5 }],
    ['a NaN lifetime', { loginMaxAgeSeconds: Number.NaN }],
  ])('refuses %s', (_, overrides) => {
    expect(() =>
      createWebFlow({ oauth: h.oauth, appOrigin: APP, cookieSecrets: COOKIE_SECRETS, ...overrides }),
    ).toThrow(expect.objectContaining({ code: 'invalid_options' }))
  })

  it('answers 405 to a POST and starts nothing', async () => {
    const { result, response } = await h.step(new Browser(), 'login', '/auth/login', { method: 'POST' })
    expectError(result, 'method_not_allowed', 405)
    expect(response.status).toBe(405)
    expect(result.cookies).toEqual([])
  })
})

// Issue #12 findings 1 and 7: every anonymous GET /auth/login wrote a 15-minute key, with no bound at all.
describe('callback', () => {
  it('completes a full round: session cookie, redirect to returnTo, the grant in the store', async () => {
    const browser = new Browser()
    const { result, response } = await h.signIn(browser, '/projects?x=1#top')
    const redirect = expectRedirect(result)
    expect(redirect.status).toBe(302)
    expect(redirect.location).toBe('/projects?x=1#top')
    expect(response.headers.get('location')).toBe('/projects?x=1#top')
    expect(redirect.cookies).toHaveLength(1)
    const session = redirect.cookies[0] as CookieInstruction
    expect(serializeCookie(session)).toMatch(
      /^__Host-wf_session=[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}; Path=\/; Max-Age=604800; SameSite=Lax; HttpOnly; Secure$/,
    )

    const grantId = await h.flow.session(new Request(`${APP}/`, { headers: browser.headers() }))
    expect(grantId).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(session.value.startsWith(`${grantId}.`)).toBe(true)
    expect(await h.oauth.getGrant(grantId as string)).toMatchObject({
      id: grantId,
      origin: WORKFRONT,
      tokenType: 'sessionID',
      wid: 'wid-42',
      expiresAt: null,
    })

    // The token request was Workfront's documented form (Example 2), to the tenant's token endpoint.
    const tokenRequests = h.workfront.requests.filter((r) => r.url === `${WORKFRONT}${TOKEN_PATH}`)
    expect(tokenRequests).toHaveLength(1)
    const form = new URLSearchParams(tokenRequests[0]?.body)
    expect(form.get('grant_type')).toBe('authorization_code')
    expect(form.get('redirect_uri')).toBe(REDIRECT_URI)
    expect(form.get('client_id')).toBe(CLIENT_ID)
  })

  it('gives no session to a request without, or with a tampered, session cookie', async () => {
    const browser = new Browser()
    await h.signIn(browser)
    const signed = browser.jar.get('__Host-wf_session') as string
    const ask = (cookie: string | null) =>
      h.flow.session(new Request(`${APP}/`, cookie === null ? {} : { headers: { cookie } }))
    expect(await ask(null)).toBeNull()
    expect(await ask('')).toBeNull()
    expect(await ask(`__Host-wf_session=${signed.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`)).toBeNull()
    expect(await ask(`__Host-wf_session=${signed.slice(0, -1)}`)).toBeNull()
    expect(await ask(`__Host-wf_session=${signed.split('.')[0]}`)).toBeNull()
    // The same value under the unprefixed name (which a sibling subdomain could set) is not the session.
    expect(await ask(`wf_session=${signed}`)).toBeNull()
    // The login nonce cannot pose as a session id.
    const login = browser.jar.get('__Host-wf_login') as string
    expect(await ask(`__Host-wf_session=${login}`)).toBeNull()
    expect(await ask(`__Host-wf_session=${signed}`)).toBe(signed.split('.')[0])
  })

  it('refuses a callback without the login cookie (browser_mismatch) and sends nothing to Workfront', async () => {
    const browser = new Browser()
    const login = expectRedirect((await h.step(browser, 'login', '/auth/login')).result)
    const callback = h.workfront.authorize(login.location)
    const { result, response } = await h.step(new Browser(), 'callback', callback)
    expectError(result, 'browser_mismatch', 400)
    expect(result.cookies).toEqual([])
    expect(response.headers.getSetCookie()).toEqual([])
    expect(h.workfront.requests).toEqual([])
  })

  it('refuses a callback carrying another browser’s login cookie', async () => {
    const victim = new Browser()
    const attacker = new Browser()
    await h.step(victim, 'login', '/auth/login')
    const attackerLogin = expectRedirect((await h.step(attacker, 'login', '/auth/login')).result)
    // Login CSRF: the victim is made to open the attacker's callback.
    const { result } = await h.step(victim, 'callback', h.workfront.authorize(attackerLogin.location))
    expectError(result, 'browser_mismatch', 400)
    expect(result.cookies).toEqual([])
    expect(victim.jar.has('__Host-wf_session')).toBe(false)
  })

  it('refuses a forged (unsigned or re-signed) login cookie', async () => {
    const browser = new Browser()
    await h.step(browser, 'login', '/auth/login')
    const nonce = (browser.jar.get('__Host-wf_login') as string).split('.')[0] as string
    const other = createCookieSigner(['another-app-secret-0123456789abcdefgh'])
    for (const forged of [
      nonce,
      `${nonce}.`,
      `${nonce}.${'A'.repeat(43)}`,
      await other.sign('__Host-wf_login', nonce),
    ]) {
      // A refused callback uses up its transaction: each attempt gets a fresh login.
      const login = expectRedirect((await h.step(browser, 'login', '/auth/login')).result)
      const forger = new Browser()
      forger.jar.set('__Host-wf_login', forged)
      const { result } = await h.step(forger, 'callback', h.workfront.authorize(login.location))
      expectError(result, 'browser_mismatch', 400)
    }
  })

  it('refuses a replayed callback with state_mismatch', async () => {
    const browser = new Browser()
    const login = expectRedirect((await h.step(browser, 'login', '/auth/login')).result)
    const callback = h.workfront.authorize(login.location)
    expectRedirect((await h.step(browser, 'callback', callback)).result)
    const { result } = await h.step(browser, 'callback', callback)
    expectError(result, 'state_mismatch', 400)
    expect(result.cookies).toEqual([])
  })

  it('reuses the login nonce across two sign-ins in one browser: both callbacks succeed', async () => {
    const browser = new Browser()
    const first = expectRedirect((await h.step(browser, 'login', '/auth/login?returnTo=%2Fone')).result)
    const cookie = browser.jar.get('__Host-wf_login')
    const second = expectRedirect((await h.step(browser, 'login', '/auth/login?returnTo=%2Ftwo')).result)
    expect(browser.jar.get('__Host-wf_login')).toBe(cookie)
    expect(new URL(second.location).searchParams.get('state')).not.toBe(
      new URL(first.location).searchParams.get('state'),
    )
    // Finished in the other order, as two tabs might.
    const two = expectRedirect(
      (await h.step(browser, 'callback', h.workfront.authorize(second.location))).result,
    )
    const twoSession = browser.jar.get('__Host-wf_session')
    const one = expectRedirect(
      (await h.step(browser, 'callback', h.workfront.authorize(first.location))).result,
    )
    expect([two.location, one.location]).toEqual(['/two', '/one'])
    expect(browser.jar.get('__Host-wf_session')).not.toBe(twoSession)
  })

  // Issue #12 finding 6: signing in again left the previous grant (and its refresh token) alive for 90 days.
  it('ends the previous grant when the browser signs in again: Workfront logout, record deleted', async () => {
    const browser = new Browser()
    await h.signIn(browser)
    const firstId = (browser.jar.get('__Host-wf_session') as string).split('.')[0] as string
    const firstSession = h.workfront.issued.find((t) => t.startsWith('session-')) as string
    expect(await h.oauth.getGrant(firstId)).not.toBeNull()
    const { result } = await h.signIn(browser)
    expectRedirect(result)
    const secondId = (browser.jar.get('__Host-wf_session') as string).split('.')[0] as string
    expect(secondId).not.toBe(firstId)
    expect(await h.oauth.getGrant(firstId)).toBeNull()
    expect(await h.store.getVersioned(`grant:${firstId}`)).toBeNull()
    expect(h.workfront.loggedOut).toEqual([firstSession])
    expect(await h.oauth.getGrant(secondId)).not.toBeNull()
  })

  it('signs in even when the previous grant cannot be ended, and never ends a grant named by a forged cookie', async () => {
    const browser = new Browser()
    await h.signIn(browser)
    const firstId = (browser.jar.get('__Host-wf_session') as string).split('.')[0] as string
    // Another browser's grant id, in an unsigned cookie: not this browser's session, left alone.
    const other = new Browser()
    other.jar.set('__Host-wf_session', `${firstId}.forged-signature`)
    expectRedirect((await h.signIn(other)).result)
    expect(await h.oauth.getGrant(firstId)).not.toBeNull()
    // Workfront's logout failing (its session already gone) does not stop the new sign-in.
    h.workfront.sessions.clear()
    expectRedirect((await h.signIn(browser)).result)
    expect(await h.oauth.getGrant(firstId)).toBeNull()
  })

  it('maps a refusal at Workfront (error=access_denied) to 403', async () => {
    const browser = new Browser()
    const login = expectRedirect((await h.step(browser, 'login', '/auth/login')).result)
    const state = new URL(login.location).searchParams.get('state') as string
    const { result } = await h.step(
      browser,
      'callback',
      `/auth/callback?${new URLSearchParams({ error: 'access_denied', state })}`,
    )
    expectError(result, 'access_denied', 403)
  })

  it('refuses a callback whose domain/lane name another tenant, without any request', async () => {
    const browser = new Browser()
    const login = expectRedirect((await h.step(browser, 'login', '/auth/login')).result)
    const callback = new URL(h.workfront.authorize(login.location))
    callback.searchParams.set('domain', 'evil')
    const { result } = await h.step(browser, 'callback', callback.href)
    expectError(result, 'tenant_mismatch', 400)
    expect(h.workfront.requests).toEqual([])
  })

  it('reports a code Workfront rejects as code_rejected, without echoing the code', async () => {
    const browser = new Browser()
    const login = expectRedirect((await h.step(browser, 'login', '/auth/login')).result)
    const callback = new URL(h.workfront.authorize(login.location))
    callback.searchParams.set('code', 'code-forged-7777777')
    h.workfront.issued.push('code-forged-7777777')
    const { result } = await h.step(browser, 'callback', callback.href)
    expectError(result, 'code_rejected', 400)
  })

  it('answers 405 to a POST callback', async () => {
    const { result } = await h.step(new Browser(), 'callback', '/auth/callback?code=x&state=y', {
      method: 'POST',
    })
    expectError(result, 'method_not_allowed', 405)
  })

  it('redirects to / when the stored returnTo was never checked (startLogin called directly)', async () => {
    const browser = new Browser()
    await h.step(browser, 'login', '/auth/login')
    const nonce = (browser.jar.get('__Host-wf_login') as string).split('.')[0] as string
    const start = await h.oauth.startLogin({ returnTo: '//evil.com/steal', browserBinding: nonce })
    const { result } = await h.step(browser, 'callback', h.workfront.authorize(start.url))
    expect(expectRedirect(result).location).toBe('/')
  })
})

describe('returnTo', () => {
  const hostile = [
    '//evil.com',
    '///evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '\\/evil.com',
    '/%2F%2Fevil.com',
    '/%2f/evil.com',
    '/%5Cevil.com',
    '/%5C%5Cevil.com',
    '/%252F%252Fevil.com',
    '/%25252F%25252Fevil.com',
    '/%2525252F%2525252Fevil.com',
    '%2F%2Fevil.com',
    'https://evil.com',
    'https:evil.com',
    'http:evil.com',
    'https:/evil.com',
    '//evil.com@app.example.com',
    'https://app.example.com@evil.com',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    '/\t/evil.com',
    '/%09/evil.com',
    '/ /evil.com',
    '/%20/evil.com',
    '/\u3000/evil.com',
    ' /x',
    '\t/x',
    '/x\r\nSet-Cookie:a=b',
    '/x%0d%0aSet-Cookie:a=b',
    '/x\u0000',
    '/..//evil.com',
    '/.//evil.com',
    '/a/../..//evil.com',
    '/%2e%2e//evil.com',
    '/.%2e//evil.com',
    '/%2e%2e/%2fevil.com',
    '/%2e//evil.com',
    '/／evil.com',
    '/∕evil.com',
    '/%EF%BC%8F%EF%BC%8Fevil.com',
    '/%',
    '/%E0%A4%A',
    `/${'a'.repeat(2048)}`,
    `/${'é'.repeat(400)}`, // short enough raw, too long once percent-encoded
    `//evil.com/${'a'.repeat(5000)}`,
    'evil.com',
    '.',
    '?x=1',
    '#top',
  ]

  it('has a table of at least 25 hostile values', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(25)
  })

  it.each(hostile)('never lets %j lead to another origin', async (value) => {
    const browser = new Browser()
    const query = `?${new URLSearchParams({ returnTo: value })}`
    const login = await h.step(browser, 'login', `/auth/login${query}`)
    if (login.result.type === 'error') {
      expectError(login.result, 'invalid_return_to', 400)
      expect(login.result.cookies).toEqual([])
    } else {
      const { result, response } = await h.step(
        browser,
        'callback',
        h.workfront.authorize(login.result.location),
      )
      const location = response.headers.get('location') as string
      expect(expectRedirect(result).location).toBe(location)
      expect(location.startsWith('/')).toBe(true)
      expect(new URL(location, APP).origin).toBe(APP)
      expect(new URL(location, 'https://other.example.net').origin).toBe('https://other.example.net')
    }

    const signedIn = new Browser()
    await h.signIn(signedIn)
    const logout = await h.step(signedIn, 'logout', `/auth/logout${query}`, { headers: { origin: APP } })
    if (logout.result.type === 'error') expectError(logout.result, 'invalid_return_to', 400)
    else expect(new URL(logout.result.location, APP).origin).toBe(APP)
  })

  it.each([
    ['/projects?x=1#top', '/projects?x=1#top'],
    ['/', '/'],
    ['/a/b/c', '/a/b/c'],
    ['/search?q=a%20b&n=2', '/search?q=a%20b&n=2'],
    ['/p?next=/x', '/p?next=/x'],
    ['/p?next=//evil.com', '/p?next=//evil.com'],
    ['/https://evil.com', '/https://evil.com'],
    ['/a/./b/../c', '/a/c'],
    ['/café', '/caf%C3%A9'],
    ['/x#//evil.com', '/x#//evil.com'],
  ])('keeps the same-origin path %j (as %j)', async (value, expected) => {
    expect(validateReturnTo(value, APP)).toBe(expected)
    const { result } = await h.signIn(new Browser(), value)
    expect(expectRedirect(result).location).toBe(expected)
  })

  it('means / when absent or empty', () => {
    expect(validateReturnTo(null, APP)).toBe('/')
    expect(validateReturnTo(undefined, APP)).toBe('/')
    expect(validateReturnTo('', APP)).toBe('/')
  })

  it('for any input, returns a stable same-origin path or refuses with invalid_return_to', () => {
    const pieces = fc.constantFrom(
      ...[
        '/',
        '//',
        '/..',
        '/.',
        '\\',
        '.',
        '..',
        '%2F',
        '%2f',
        '%5C',
        '%2e',
        '%25',
        '%',
        '@',
        ':',
        '?',
        '#',
      ],
      ...[' ', '\t', '\n', '／', 'evil.com', 'a', 'http:'],
    )
    const value = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.array(pieces, { maxLength: 12 }).map((parts) => parts.join('')),
      fc.array(pieces, { maxLength: 12 }).map((parts) => `/${parts.join('')}`),
      // Near the length limit, where percent-encoding makes the normalized path longer than the input.
      fc.string({ unit: 'grapheme', minLength: 300, maxLength: 1200 }).map((text) => `/${text}`),
    )
    fc.assert(
      fc.property(value, (input) => {
        let path: string
        try {
          path = validateReturnTo(input, APP)
        } catch (error) {
          expect(isWorkfrontOAuthError(error, 'invalid_return_to')).toBe(true)
          return
        }
        expect(new URL(path, APP).origin).toBe(APP)
        expect(new URL(path, 'https://other.example.net').origin).toBe('https://other.example.net')
        expect(path).toMatch(/^\/(?![/\\])/)
        expect(validateReturnTo(path, APP)).toBe(path)
      }),
      { numRuns: 2000 },
    )
  })
})

describe('createCookieSigner', () => {
  const [fresh, old] = COOKIE_SECRETS as [string, string]
  const signer = createCookieSigner([fresh])

  it('signs and verifies; a value may contain dots', async () => {
    const signed = await signer.sign('__Host-wf_session', 'grant-123')
    expect(signed).toMatch(/^grant-123\.[A-Za-z0-9_-]{43}$/)
    expect(await signer.verify('__Host-wf_session', signed)).toBe('grant-123')
    expect(await signer.verify('n', await signer.sign('n', 'a.b.c'))).toBe('a.b.c')
  })

  it('refuses a tampered value or signature', async () => {
    const signed = await signer.sign('n', 'grant-123')
    const [value, signature] = signed.split('.') as [string, string]
    expect(await signer.verify('n', `grant-124.${signature}`)).toBeNull()
    expect(await signer.verify('n', `${value}x.${signature}`)).toBeNull()
    const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
    for (const i of [0, 20, signature.length - 1]) {
      expect(await signer.verify('n', `${value}.${flip(signature, i)}`)).toBeNull()
    }
    expect(await signer.verify('n', `${value}.${signature.slice(0, -1)}`)).toBeNull()
    expect(await signer.verify('n', `${value}.`)).toBeNull()
    expect(await signer.verify('n', `.${signature}`)).toBeNull()
    expect(await signer.verify('n', value)).toBeNull()
    expect(await signer.verify('n', '')).toBeNull()
    expect(await signer.verify('n', `${'x'.repeat(5000)}.${signature}`)).toBeNull()
  })

  it('binds the value to the cookie name', async () => {
    const signed = await signer.sign('__Host-wf_login', 'nonce')
    expect(await signer.verify('__Host-wf_session', signed)).toBeNull()
    expect(await signer.verify('__Host-wf_login', signed)).toBe('nonce')
  })

  it('rotates: an old signature verifies after [new, old], not after [new] alone; new ones use the first', async () => {
    const signedWithOld = await createCookieSigner([old]).sign('n', 'v')
    const rotated = createCookieSigner([fresh, old])
    expect(await rotated.verify('n', signedWithOld)).toBe('v')
    expect(await createCookieSigner([fresh]).verify('n', signedWithOld)).toBeNull()
    const signedNow = await rotated.sign('n', 'v')
    expect(signedNow).toBe(await signer.sign('n', 'v'))
    expect(signedNow).not.toBe(signedWithOld)
  })

  it('refuses no secrets and secrets shorter than 32 characters', () => {
    for (const secrets of [[], ['x'.repeat(31)], [fresh, 'y'.repeat(31)], ['']]) {
      let thrown: unknown
      try {
        createCookieSigner(secrets)
      } catch (error) {
        thrown = error
      }
      expect(isWorkfrontOAuthError(thrown, 'invalid_options')).toBe(true)
      expect(JSON.stringify(thrown)).not.toContain('x'.repeat(31))
    }
    expect(() => createCookieSigner(['z'.repeat(32)])).not.toThrow()
  })
})

describe('logout', () => {
  async function signedIn(): Promise<{ browser: Browser; grantId: string; session: string }> {
    const browser = new Browser()
    await h.signIn(browser)
    const grantId = (await h.flow.session(new Request(APP, { headers: browser.headers() }))) as string
    expect(await h.oauth.getGrant(grantId)).not.toBeNull()
    const session = h.workfront.issued.find((t) => t.startsWith('session-')) as string
    return { browser, grantId, session }
  }

  it('answers 405 to GET', async () => {
    const { browser, grantId } = await signedIn()
    const { result, response } = await h.step(browser, 'logout', '/auth/logout', {
      method: 'GET',
      headers: { origin: APP },
    })
    expectError(result, 'method_not_allowed', 405)
    expect(response.status).toBe(405)
    expect(await h.oauth.getGrant(grantId)).not.toBeNull()
  })

  it.each([
    ['no Origin and no Sec-Fetch-Site', {}],
    ['another Origin', { origin: 'https://evil.com' }],
    ['a sibling Origin', { origin: 'https://evil.app.example.com' }],
    ['the http Origin', { origin: 'http://app.example.com' }],
    ['Origin: null', { origin: 'null' }],
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['Sec-Fetch-Site: same-site', { 'sec-fetch-site': 'same-site' }],
    [
      'another Origin despite Sec-Fetch-Site: same-origin',
      { origin: 'https://evil.com', 'sec-fetch-site': 'same-origin' },
    ],
  ])(
    'refuses a POST with %s (403 csrf_rejected), changing nothing',
    async (_, headers: Record<string, string>) => {
      const { browser, grantId } = await signedIn()
      const { result, response } = await h.step(browser, 'logout', '/auth/logout', { headers })
      expectError(result, 'csrf_rejected', 403)
      expect(response.status).toBe(403)
      expect(result.cookies).toEqual([])
      expect(await h.oauth.getGrant(grantId)).not.toBeNull()
      expect(h.workfront.loggedOut).toEqual([])
    },
  )

  it('signs out a POST from this origin: 303, cookie cleared, grant deleted, Workfront session ended', async () => {
    const { browser, grantId, session } = await signedIn()
    const { result, response } = await h.step(browser, 'logout', '/auth/logout?returnTo=%2Fbye', {
      headers: { origin: APP },
    })
    const redirect = expectRedirect(result)
    expect(redirect.status).toBe(303)
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/bye')
    expect(response.headers.getSetCookie()).toEqual([
      '__Host-wf_session=; Path=/; Max-Age=0; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure',
    ])
    expect(browser.jar.has('__Host-wf_session')).toBe(false)
    expect(await h.oauth.getGrant(grantId)).toBeNull()
    expect(h.workfront.loggedOut).toEqual([session])
    const logoutCall = h.workfront.requests.find((r) => r.url.endsWith('/logout'))
    expect(logoutCall?.url).toBe(`${WORKFRONT}/attask/api/${h.oauth.apiVersion}/logout`)
    expect(logoutCall?.headers.get('sessionID')).toBe(session)
  })

  it('accepts Sec-Fetch-Site: same-origin when the Origin header is absent', async () => {
    const { browser, grantId } = await signedIn()
    const { result } = await h.step(browser, 'logout', '/auth/logout', {
      headers: { 'sec-fetch-site': 'same-origin' },
    })
    expect(expectRedirect(result).location).toBe('/')
    expect(await h.oauth.getGrant(grantId)).toBeNull()
  })

  it('clears the cookie of a browser whose grant is already gone, or that has none', async () => {
    const { browser, grantId } = await signedIn()
    await h.oauth.logout(grantId)
    const again = await h.step(browser, 'logout', '/auth/logout', { headers: { origin: APP } })
    expect(expectRedirect(again.result).cookies).toEqual([h.flow.clearSession()])
    const stranger = await h.step(new Browser(), 'logout', '/auth/logout', { headers: { origin: APP } })
    expect(expectRedirect(stranger.result).status).toBe(303)
  })

  it('refuses a bad returnTo before doing anything: the browser stays signed in, the grant stays', async () => {
    const { browser, grantId } = await signedIn()
    const { result } = await h.step(browser, 'logout', '/auth/logout?returnTo=%2F%2Fevil.com', {
      headers: { origin: APP },
    })
    expectError(result, 'invalid_return_to', 400)
    expect(result.cookies).toEqual([])
    expect(await h.oauth.getGrant(grantId)).not.toBeNull()
    expect(h.workfront.loggedOut).toEqual([])
  })

  it('clears the cookie but reports the failure when the store is down', async () => {
    const { browser, grantId } = await signedIn()
    const broken = {
      ...h.store,
      getVersioned: () => Promise.reject(new Error(`redis down: ${CLIENT_SECRET}`)),
    }
    const oauth = createWorkfrontOAuth({
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUri: REDIRECT_URI,
      baseUrl: WORKFRONT,
      store: broken,
      http: h.workfront.http,
    })
    const auth = createWebAuth({ oauth, appOrigin: APP, cookieSecrets: COOKIE_SECRETS })
    const request = new Request(`${APP}/auth/logout`, {
      method: 'POST',
      headers: browser.headers({ origin: APP }),
    })
    const result = await auth.flow.logout(request)
    expectError(result, 'store_unavailable', 503)
    expect(result.cookies).toEqual([auth.flow.clearSession()])
    const response = await auth.toResponse(result, request)
    h.outputs.push(await response.text(), JSON.stringify(result.error), String(result.error))
    expect(await h.oauth.getGrant(grantId)).not.toBeNull()
  })
})

describe('WebAuth.toResponse', () => {
  const cookie = (name: string, value: string, maxAge: number): CookieInstruction => ({
    name,
    value,
    attributes: { httpOnly: true, secure: true, sameSite: 'lax', path: '/', maxAge },
  })

  it('turns a redirect into a bodiless response with Location and every Set-Cookie', async () => {
    const auth = createWebAuth({ oauth: h.oauth, appOrigin: APP, cookieSecrets: COOKIE_SECRETS })
    const response = await auth.toResponse(
      {
        type: 'redirect',
        status: 303,
        location: '/next',
        cookies: [cookie('a', '1', 60), cookie('b', '', 0)],
      },
      new Request(`${APP}/auth/logout`, { method: 'POST' }),
    )
    expect(response.status).toBe(303)
    expect(response.headers.get('location')).toBe('/next')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.getSetCookie()).toEqual([
      'a=1; Path=/; Max-Age=60; SameSite=Lax; HttpOnly; Secure',
      'b=; Path=/; Max-Age=0; SameSite=Lax; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure',
    ])
    expect(await response.text()).toBe('')
  })

  it('turns an error into JSON with its code and message only', async () => {
    const browser = new Browser()
    const login = expectRedirect((await h.step(browser, 'login', '/auth/login')).result)
    const callback = new URL(h.workfront.authorize(login.location))
    callback.searchParams.set('code', 'code-not-issued-123')
    const { result, response } = await h.step(browser, 'callback', callback.href)
    expectError(result, 'code_rejected', 400)
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('location')).toBeNull()
    const body = (await response.json()) as { error: { code: string; message: string } }
    expect(body).toEqual({ error: { code: 'code_rejected', message: expect.any(String) } })
    expect(body.error.message).not.toContain('code-not-issued-123')
  })

  it('hides an unexpected failure behind a generic 500, and reports it to the logger only', async () => {
    const oauth = { ...h.oauth, startLogin: () => Promise.reject(new Error(`boom ${CLIENT_SECRET}`)) }
    const logged: unknown[] = []
    const auth = createWebAuth({
      oauth,
      appOrigin: APP,
      cookieSecrets: COOKIE_SECRETS,
      logger: { warn: (...args) => logged.push(args) },
    })
    const request = new Request(`${APP}/auth/login`)
    const result = await auth.flow.login(request)
    expectError(result, 'internal_error', 500)
    const text = await (await auth.toResponse(result, request)).text()
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: 'Unexpected failure' } })
    expect(logged).toEqual([
      ['unexpected failure', { error: expect.objectContaining({ message: `boom ${CLIENT_SECRET}` }) }],
    ])
    h.outputs.push(text, JSON.stringify(result.error), String(result.error))
  })
})

describe('parseCookies', () => {
  it.each<[string | null, Record<string, string>]>([
    [null, {}],
    ['', {}],
    ['a=1', { a: '1' }],
    ['a=1; b=2', { a: '1', b: '2' }],
    ['a=1;b=2', { a: '1', b: '2' }],
    ['  a = 1 ;  b=2  ', { a: '1', b: '2' }],
    ['a=1; a=2', { a: '1' }],
    ['a=', { a: '' }],
    ['a=b=c', { a: 'b=c' }],
    ['novalue; b=2', { b: '2' }],
    ['=x; b=2', { b: '2' }],
    [';;; ;', {}],
    ['a="quoted"', { a: '"quoted"' }],
    ['__Host-wf_session=v.s; wf_session=w', { '__Host-wf_session': 'v.s', wf_session: 'w' }],
    ['A=1; a=2', { A: '1', a: '2' }],
  ])('parses %j', (header, expected) => {
    expect(Object.fromEntries(parseCookies(header))).toEqual(expected)
  })
})

describe('readCookie', () => {
  const headers = [
    null,
    '',
    'a=1',
    'a=1; b=2',
    '  a = 1 ;  b=2  ',
    'a=1; a=2',
    'a=',
    'a=b=c',
    'novalue; b=2',
    '=x; b=2',
    ';;; ;',
    'xa=1; a=2',
    'a b=1; a=2',
    '__Host-wf_session=v.s; wf_session=w',
    'wf_session; wf_session=v.s',
    'A=1; a=2',
  ]

  it.each(headers)('reads %j as parseCookies does', (header) => {
    for (const name of ['a', 'b', 'A', 'wf_session', '__Host-wf_session', 'x']) {
      expect(readCookie(header, name)).toBe(parseCookies(header).get(name))
    }
  })

  it('searches for `=` again only once past it: a header of many parts without `=` stays linear', () => {
    // 16 KB of `;` (Node's header limit): searching for `=` from every part would scan ~10⁸ characters.
    const indexOf = vi.spyOn(String.prototype, 'indexOf')
    try {
      expect(readCookie(`${';'.repeat(16_000)}a=1`, 'a')).toBe('1')
      expect(readCookie(`${'x;'.repeat(8_000)}`, 'a')).toBeUndefined()
      expect(indexOf.mock.calls.filter(([search]) => search === '=').length).toBeLessThanOrEqual(3)
    } finally {
      indexOf.mockRestore()
    }
  })

  it('agrees with parseCookies on any header', () => {
    const piece = fc.constantFrom('a', 'b', 'wf_session', '=', ';', ' ', '\t', 'v.s', '"', '\u00a0')
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 24 }),
        fc.constantFrom('a', 'b', 'wf_session'),
        (parts, name) => {
          const header = parts.join('')
          expect(readCookie(header, name)).toBe(parseCookies(header).get(name))
        },
      ),
      { numRuns: 2000 },
    )
  })
})
