import { describe, expect, it } from 'vitest'
import { createWorkfrontMock, DEMO_WEB_APP } from './index'
import {
  apiRequest,
  authorizeURL,
  basic,
  exchangeCode,
  frozenClock,
  obtainCode,
  refreshRequest,
  sessionStatus,
  USER,
  WEB,
} from './test-support'
import { completeAuthorization } from './testing'
import type { MockApp, TokenResponse } from './types'

describe('the tenant host', () => {
  it('answers its own host and loopback hosts, and 421 for any other host', async () => {
    const mock = createWorkfrontMock({ domain: 'acme', lane: 'preview' })
    const session = (origin: string) => mock.fetch(new Request(`${origin}/attask/api/v21.0/session`))
    // Right host: the API answers (401, no session), wrong hosts never reach it.
    expect((await session('https://acme.preview.workfront.com')).status).toBe(401)
    expect((await session('http://127.0.0.1:4010')).status).toBe(401)
    expect((await session('http://localhost:8787')).status).toBe(401)
    for (const origin of [
      'https://acme.my.workfront.com',
      'https://acme.preview.workfront.adobe.com',
      'https://other.preview.workfront.com',
      'https://evil.example',
    ]) {
      const response = await session(origin)
      expect(response.status).toBe(421)
    }
    const token = await mock.fetch(
      new Request('https://acme.my.workfront.com/integrations/oauth2/api/v1/token', { method: 'POST' }),
    )
    expect(token.status).toBe(421)
    expect(mock.counters().tokenCalls.other).toBe(0)
  })

  it('also answers the hosts it is told to (a host app it is mounted in)', async () => {
    const mock = createWorkfrontMock({ acceptedHosts: ['demo.example.com'] })
    expect((await mock.fetch(new Request('https://demo.example.com/attask/api/v21.0/session'))).status).toBe(
      401,
    )
    expect(() => createWorkfrontMock({ acceptedHosts: ['https://x.example'] })).toThrow(TypeError)
  })
})

describe("the PKCE page's response shape", () => {
  it('answers token_type Bearer and expires_in 3600, and the session ends after 3600 s', async () => {
    const mock = createWorkfrontMock({ tokenResponseShape: 'pkce-page', clock: frozenClock() })
    const tokens = (await (await exchangeCode(mock, await obtainCode(mock))).json()) as TokenResponse
    expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 3600 })
    mock.clock.advance(3_599_999)
    expect(await sessionStatus(mock, tokens.access_token)).toBe(200)
    mock.clock.advance(1)
    expect(await sessionStatus(mock, tokens.access_token)).toBe(401)
    expect(() => createWorkfrontMock({ tokenResponseShape: 'bearer' as never })).toThrow(TypeError)
  })
})

describe('a browser already signed in to Workfront', () => {
  it('goes straight to the consent page on the next authorize', async () => {
    const mock = createWorkfrontMock()
    const url = authorizeURL({
      client_id: WEB.clientId,
      redirect_uri: WEB.redirectUri,
      response_type: 'code',
    })
    const login = await mock.fetch(new Request(url))
    const pending = /name="pending" value="([^"]+)"/.exec(await login.text())![1]!
    const consent = await mock.fetch(
      new Request(new URL('/integrations/oauth2/authorize/login', url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ pending, ...USER }),
      }),
    )
    const cookie = consent.headers.get('set-cookie')!
    expect(cookie).toMatch(
      /^wf_mock_signin=[^;]+; Path=\/integrations\/oauth2\/authorize; HttpOnly; SameSite=Lax/,
    )

    const again = await mock.fetch(new Request(url, { headers: { cookie: cookie.split(';')[0]! } }))
    const html = await again.text()
    expect(html).toContain('action="/integrations/oauth2/authorize/consent"')
    expect(html).not.toContain('name="password"')
    // The helper follows that path too, and the code is for the signed-in user.
    const withCookie = (request: Request) => {
      const headers = new Headers(request.headers)
      headers.set('cookie', cookie.split(';')[0]!)
      return mock.fetch(new Request(request, { headers }))
    }
    const callback = await completeAuthorization({ fetch: withCookie }, url, { username: '-', password: '-' })
    expect(callback.searchParams.get('code')).toBeTruthy()

    // An unknown or idle cookie is a fresh login.
    const stranger = await mock.fetch(new Request(url, { headers: { cookie: 'wf_mock_signin=forged' } }))
    expect(await stranger.text()).toContain('name="password"')
  })
})

describe('callbackState: omit', () => {
  it('leaves state out of the callback, on success and on refusal', async () => {
    const mock = createWorkfrontMock({ callbackState: 'omit' })
    const url = authorizeURL({
      client_id: WEB.clientId,
      redirect_uri: WEB.redirectUri,
      response_type: 'code',
      state: 'sent-but-not-echoed',
    })
    const allowed = await completeAuthorization(mock, url, USER)
    expect([...allowed.searchParams.keys()]).toEqual(['code', 'domain', 'lane'])
    const denied = await completeAuthorization(mock, url, { ...USER, decision: 'deny' })
    expect([...denied.searchParams.keys()]).toEqual(['error'])
    expect(() => createWorkfrontMock({ callbackState: 'drop' as never })).toThrow(TypeError)
    expect((await mock.fetch(apiRequest('v21.0/session'))).status).toBe(401)
  })
})

describe('API limits', () => {
  it('answers 414 for a URI over 8,892 bytes, and serves one of exactly 8,892', async () => {
    const mock = createWorkfrontMock()
    const tokens = (await (await exchangeCode(mock, await obtainCode(mock))).json()) as TokenResponse
    const base = `https://${mock.host}/attask/api/v21.0/proj/search?name=`
    const at = (length: number) => `${base}${'x'.repeat(length - base.length)}`
    const send = (url: string) =>
      mock.fetch(new Request(url, { headers: { sessionID: tokens.access_token } }))
    expect((await send(at(8_892))).status).toBe(200)
    expect((await send(at(8_893))).status).toBe(414)
  })

  it('injects 429 with the Retry-After it is given, API only', async () => {
    const mock = createWorkfrontMock()
    mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: 7, times: 2 })
    for (let i = 0; i < 2; i++) {
      const response = await mock.fetch(apiRequest('v21.0/session'))
      expect(response.status).toBe(429)
      expect(response.headers.get('retry-after')).toBe('7')
    }
    expect((await mock.fetch(apiRequest('v21.0/session'))).status).toBe(401)
    expect(() => mock.injectFailure({ endpoint: 'token', kind: 'status429' })).toThrow(TypeError)
    expect(() => mock.injectFailure({ endpoint: 'api', kind: 'status429', retryAfter: -1 })).toThrow(
      RangeError,
    )
  })
})

describe('the Unified Experience host family', () => {
  it('is its own tenant host: the classic host of the same domain and lane gets 421', async () => {
    const mock = createWorkfrontMock({ hostFamily: 'unified-experience', autoConsent: USER })
    expect(mock.host).toBe('acme.my.workfront.adobe.com')
    const origin = `https://${mock.host}`
    const authorize = new URL('/integrations/oauth2/authorize', origin)
    authorize.search = new URLSearchParams({
      client_id: WEB.clientId,
      redirect_uri: WEB.redirectUri,
      response_type: 'code',
    }).toString()
    const callback = new URL((await mock.fetch(new Request(authorize))).headers.get('location')!)
    // The callback names the domain and the lane, not the family: the client must already know it.
    expect([...callback.searchParams.entries()].slice(1)).toEqual([
      ['domain', 'acme'],
      ['lane', 'my'],
    ])
    const body = JSON.stringify({
      code: callback.searchParams.get('code'),
      grant_type: 'authorization_code',
      redirect_uri: WEB.redirectUri,
    })
    const exchangeAt = (host: string) =>
      mock.fetch(
        new Request(`https://${host}/integrations/oauth2/api/v1/token`, {
          method: 'POST',
          headers: { Authorization: basic(WEB.clientId, WEB.secret), 'Content-Type': 'application/json' },
          body,
        }),
      )
    expect((await exchangeAt('acme.my.workfront.com')).status).toBe(421)
    const tokens = (await (await exchangeAt(mock.host)).json()) as TokenResponse
    const session = (host: string) =>
      mock.fetch(
        new Request(`https://${host}/attask/api/v21.0/session`, {
          headers: { sessionID: tokens.access_token },
        }),
      )
    expect((await session(mock.host)).status).toBe(200)
    expect((await session('acme.my.workfront.com')).status).toBe(421)
    expect(createWorkfrontMock({ lane: 'sb01', hostFamily: 'unified-experience' }).host).toBe(
      'acme.sb01.workfront.adobe.com',
    )
    expect(createWorkfrontMock({ hostFamily: 'classic' }).host).toBe('acme.my.workfront.com')
    expect(() => createWorkfrontMock({ hostFamily: 'adobe' as never })).toThrow(
      'hostFamily must be classic or unified-experience',
    )
  })
})

describe('authenticationError: a rejected session answered with HTTP 200', () => {
  it.each([
    [
      '200',
      {
        error: {
          class: 'com.attask.common.AuthenticationException',
          message: 'You are not currently logged in',
        },
      },
    ],
    [
      '200-data',
      {
        data: {
          error: {
            class: 'com.attask.common.AuthenticationException',
            message: 'You are not currently logged in',
          },
        },
      },
    ],
  ] as const)('%s', async (authenticationError, body) => {
    const mock = createWorkfrontMock({ authenticationError, clock: frozenClock() })
    const tokens = (await (await exchangeCode(mock, await obtainCode(mock))).json()) as TokenResponse
    const live = await mock.fetch(apiRequest('v21.0/session', tokens.access_token))
    expect(await live.json()).toMatchObject({ data: { username: USER.username } })
    for (const sessionID of [undefined, 'unknown-session']) {
      const response = await mock.fetch(apiRequest('v21.0/proj/search', sessionID))
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await response.json()).toEqual(body)
    }
    mock.clock.advance(8 * 3_600_000)
    const idle = await mock.fetch(apiRequest('v21.0/session', tokens.access_token))
    expect([idle.status, await idle.json()]).toEqual([200, body])
    expect(mock.counters().apiCalls).toEqual({ '200': 4 })
  })

  it('is 401 by default, as Workfront documents, and refuses other values', async () => {
    expect((await createWorkfrontMock().fetch(apiRequest('v21.0/session'))).status).toBe(401)
    expect(() => createWorkfrontMock({ authenticationError: 401 as never })).toThrow(
      'authenticationError must be 401 or 200 or 200-data',
    )
  })
})

describe('omitUnchangedRefreshToken', () => {
  it('leaves refresh_token out of a refresh without rotation; the token keeps working', async () => {
    const mock = createWorkfrontMock({
      omitUnchangedRefreshToken: true,
      apps: [{ ...DEMO_WEB_APP, rotation: false } as MockApp],
    })
    const tokens = (await (await exchangeCode(mock, await obtainCode(mock))).json()) as TokenResponse
    // The code exchange always carries one.
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    for (let i = 0; i < 2; i++) {
      const refreshed = await mock.fetch(refreshRequest(tokens.refresh_token))
      const body = (await refreshed.json()) as Record<string, unknown>
      expect(Object.keys(body)).toEqual(['token_type', 'access_token', 'expires_in', 'wid'])
      expect(await sessionStatus(mock, body.access_token as string)).toBe(200)
    }
  })

  it('still sends the new one when rotation makes one; without the knob every refresh carries one', async () => {
    const rotating = createWorkfrontMock({ omitUnchangedRefreshToken: true })
    const first = (await (await exchangeCode(rotating, await obtainCode(rotating))).json()) as TokenResponse
    const rotated = (await (
      await rotating.fetch(refreshRequest(first.refresh_token))
    ).json()) as TokenResponse
    expect(rotated.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(rotated.refresh_token).not.toBe(first.refresh_token)

    const plain = createWorkfrontMock({ apps: [{ ...DEMO_WEB_APP, rotation: false } as MockApp] })
    const tokens = (await (await exchangeCode(plain, await obtainCode(plain))).json()) as TokenResponse
    const again = (await (await plain.fetch(refreshRequest(tokens.refresh_token))).json()) as TokenResponse
    expect(again.refresh_token).toBe(tokens.refresh_token)
  })
})
