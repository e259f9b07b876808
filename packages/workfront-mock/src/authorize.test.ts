import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { createWorkfrontMock } from './index'
import { authorizeURL, exchangeCode, frozenClock, HOST, SPA, USER, WEB } from './test-support'
import { AuthorizationFlowError, completeAuthorization, createPKCEPair } from './testing'

const VALID = { client_id: WEB.clientId, redirect_uri: WEB.redirectUri, response_type: 'code' }

function pendingOf(html: string): string {
  const match = /name="pending" value="([^"]+)"/.exec(html)
  expect(match).not.toBeNull()
  return match![1]!
}

function post(
  path: string,
  fields: Record<string, string>,
  contentType = 'application/x-www-form-urlencoded',
) {
  return new Request(new URL(path, HOST), {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: new URLSearchParams(fields),
  })
}

async function expectErrorPage(response: Response, message: RegExp, status = 400): Promise<string> {
  expect(response.status).toBe(status)
  expect(response.headers.get('location')).toBeNull()
  expect(response.headers.get('content-type')).toMatch(/^text\/html/)
  const html = await response.text()
  expect(html).toContain('Authorization error')
  expect(html).toMatch(message)
  return html
}

describe('GET /integrations/oauth2/authorize validation', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'missing client_id',
      { redirect_uri: WEB.redirectUri, response_type: 'code' },
      /client_id parameter is missing/,
    ],
    ['unknown client_id', { ...VALID, client_id: 'nobody' }, /No application is registered/],
    [
      'missing redirect_uri',
      { client_id: WEB.clientId, response_type: 'code' },
      /redirect_uri parameter is missing/,
    ],
    ['unregistered redirect_uri', { ...VALID, redirect_uri: 'https://evil.example/cb' }, /not registered/],
    ['redirect_uri with an extra path', { ...VALID, redirect_uri: `${WEB.redirectUri}/x` }, /not registered/],
    [
      'redirect_uri with an extra query',
      { ...VALID, redirect_uri: `${WEB.redirectUri}?next=x` },
      /not registered/,
    ],
    [
      'redirect_uri differing in case',
      { ...VALID, redirect_uri: WEB.redirectUri.toUpperCase() },
      /not registered/,
    ],
    ['response_type token', { ...VALID, response_type: 'token' }, /response_type must be code/],
    [
      'missing response_type',
      { client_id: WEB.clientId, redirect_uri: WEB.redirectUri },
      /response_type must be code/,
    ],
    [
      'plain PKCE',
      { ...VALID, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
      /Only code_challenge_method=S256/,
    ],
    ['challenge without method', { ...VALID, code_challenge: 'a'.repeat(43) }, /S256 is required/],
    ['method without challenge', { ...VALID, code_challenge_method: 'S256' }, /code_challenge is missing/],
    [
      'malformed challenge',
      { ...VALID, code_challenge: 'a'.repeat(42), code_challenge_method: 'S256' },
      /43 base64url characters/,
    ],
    [
      'spa app without PKCE',
      { client_id: SPA.clientId, redirect_uri: SPA.redirectUri, response_type: 'code' },
      /must use PKCE/,
    ],
  ]

  for (const [name, params, message] of cases) {
    it(`shows an error page, never a redirect: ${name}`, async () => {
      const mock = createWorkfrontMock()
      await expectErrorPage(await mock.fetch(new Request(authorizeURL(params))), message)
    })
  }

  it('rejects a repeated parameter', async () => {
    const mock = createWorkfrontMock()
    const url = authorizeURL(VALID)
    url.searchParams.append('redirect_uri', 'https://evil.example/cb')
    await expectErrorPage(await mock.fetch(new Request(url)), /redirect_uri parameter is repeated/)
  })

  it('escapes what it echoes', async () => {
    const mock = createWorkfrontMock({
      apps: [
        {
          clientId: 'c',
          name: '<script>x</script>',
          clientSecrets: ['s'],
          redirectUris: ['https://a.example/cb'],
          type: 'web',
        },
      ],
    })
    const response = await mock.fetch(
      new Request(
        authorizeURL({ client_id: 'c', redirect_uri: 'https://a.example/cb', response_type: 'code' }),
      ),
    )
    const html = await response.text()
    expect(html).not.toContain('<script>')
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;')
  })
})

describe('login and consent pages', () => {
  it('renders an accessible login form without external resources', async () => {
    const mock = createWorkfrontMock()
    const response = await mock.fetch(new Request(authorizeURL({ ...VALID, state: 's1' })))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await response.text()
    expect(html).toContain('<title>Sign in to Workfront (mock)</title>')
    expect(html).toContain('<h1>Sign in to Workfront (mock)</h1>')
    expect(html).toContain('<form method="post" action="/integrations/oauth2/authorize/login">')
    expect(html).toContain('<label for="username">Username</label>')
    expect(html).toContain('<label for="password">Password</label>')
    expect(html).toContain('autocomplete="current-password"')
    expect(html).not.toMatch(/<script|<link|src="http|href="http/)
    expect(html).not.toContain('Demo credentials')
    pendingOf(html)
  })

  it('shows the demo credentials only when asked', async () => {
    const mock = createWorkfrontMock({ showDemoCredentials: true })
    const html = await (await mock.fetch(new Request(authorizeURL(VALID)))).text()
    expect(html).toContain('Demo credentials: <code>demo@acme.test</code> / <code>demo</code>')
  })

  it('signs in, asks for consent and redirects with code, domain, lane and state', async () => {
    const mock = createWorkfrontMock()
    const html = await (await mock.fetch(new Request(authorizeURL({ ...VALID, state: 'st-1' })))).text()
    const pending = pendingOf(html)

    const consent = await mock.fetch(post('/integrations/oauth2/authorize/login', { pending, ...USER }))
    expect(consent.status).toBe(200)
    const consentHTML = await consent.text()
    expect(consentHTML).toContain('Allow access to Workfront (mock)')
    expect(consentHTML).toContain('Dana Demo')
    expect(consentHTML).toContain('<form method="post" action="/integrations/oauth2/authorize/consent">')
    expect(consentHTML).toContain(
      '<button type="submit" name="decision" value="allow" class="primary">Allow</button>',
    )
    expect(consentHTML).toContain(
      '<button type="submit" name="decision" value="deny" class="secondary">Deny</button>',
    )
    expect(pendingOf(consentHTML)).toBe(pending)

    const callback = await mock.fetch(
      post('/integrations/oauth2/authorize/consent', { pending, decision: 'allow' }),
    )
    expect(callback.status).toBe(302)
    const location = new URL(callback.headers.get('location')!)
    expect(`${location.origin}${location.pathname}`).toBe(WEB.redirectUri)
    expect([...location.searchParams.keys()]).toEqual(['code', 'domain', 'lane', 'state'])
    expect(location.searchParams.get('domain')).toBe('acme')
    expect(location.searchParams.get('lane')).toBe('my')
    expect(location.searchParams.get('state')).toBe('st-1')
    expect((await exchangeCode(mock, location.searchParams.get('code')!)).status).toBe(200)

    // The pending authorization was single use.
    const again = await mock.fetch(
      post('/integrations/oauth2/authorize/consent', { pending, decision: 'allow' }),
    )
    await expectErrorPage(again, /unknown or has expired/)
  })

  it('does not echo a state that was not sent, and reports its own domain and lane', async () => {
    const mock = createWorkfrontMock({ domain: 'myorganization', lane: 'preview' })
    expect(mock.host).toBe('myorganization.preview.workfront.com')
    const url = authorizeURL(VALID)
    url.host = mock.host
    const callback = await completeAuthorization(mock, url, USER)
    expect([...callback.searchParams.keys()]).toEqual(['code', 'domain', 'lane'])
    expect(callback.searchParams.get('domain')).toBe('myorganization')
    expect(callback.searchParams.get('lane')).toBe('preview')
  })

  it('keeps the query of a registered redirect_uri', async () => {
    const redirect = 'https://app.example/cb?tenant=1'
    const mock = createWorkfrontMock({
      apps: [{ clientId: 'c', clientSecrets: ['s'], redirectUris: [redirect], type: 'web' }],
    })
    const callback = await completeAuthorization(
      mock,
      authorizeURL({ client_id: 'c', redirect_uri: redirect, response_type: 'code', state: 'x' }),
      USER,
    )
    expect([...callback.searchParams.keys()]).toEqual(['tenant', 'code', 'domain', 'lane', 'state'])
  })

  it('redirects a refusal with error=access_denied and the state', async () => {
    const mock = createWorkfrontMock()
    const callback = await completeAuthorization(mock, authorizeURL({ ...VALID, state: 'st-2' }), {
      ...USER,
      decision: 'deny',
    })
    expect(`${callback.origin}${callback.pathname}`).toBe(WEB.redirectUri)
    expect([...callback.searchParams]).toEqual([
      ['error', 'access_denied'],
      ['state', 'st-2'],
    ])
  })

  it('re-renders the login form on wrong credentials', async () => {
    const mock = createWorkfrontMock()
    const pending = pendingOf(await (await mock.fetch(new Request(authorizeURL(VALID)))).text())
    for (const credentials of [
      { username: USER.username, password: 'wrong' },
      { username: 'nobody@acme.test', password: USER.password },
    ]) {
      const response = await mock.fetch(
        post('/integrations/oauth2/authorize/login', { pending, ...credentials }),
      )
      expect(response.status).toBe(401)
      const html = await response.text()
      expect(html).toContain('role="alert">The username or password is incorrect.')
      expect(html).toContain(`value="${credentials.username}"`)
      expect(html).not.toContain(`value="${credentials.password}"`)
      expect(html).toContain('action="/integrations/oauth2/authorize/login"')
    }
    await expect(
      completeAuthorization(mock, authorizeURL(VALID), { username: USER.username, password: 'wrong' }),
    ).rejects.toBeInstanceOf(AuthorizationFlowError)
  })

  it('refuses consent without sign-in, an unknown or expired request, and a non-form body', async () => {
    const mock = createWorkfrontMock({ clock: frozenClock() })
    const pending = pendingOf(await (await mock.fetch(new Request(authorizeURL(VALID)))).text())
    await expectErrorPage(
      await mock.fetch(post('/integrations/oauth2/authorize/consent', { pending, decision: 'allow' })),
      /unknown or has expired/,
    )
    await expectErrorPage(
      await mock.fetch(post('/integrations/oauth2/authorize/login', { pending: 'forged', ...USER })),
      /unknown or has expired/,
    )
    await expectErrorPage(
      await mock.fetch(post('/integrations/oauth2/authorize/login', { pending, ...USER }, 'text/plain')),
      /application\/x-www-form-urlencoded/,
      415,
    )
    expect(
      (await mock.fetch(post('/integrations/oauth2/authorize/login', { pending, ...USER }))).status,
    ).toBe(200)
    await expectErrorPage(
      await mock.fetch(post('/integrations/oauth2/authorize/consent', { pending, decision: 'maybe' })),
      /Choose Allow or Deny/,
    )
    mock.clock.advance(10 * 60_000)
    await expectErrorPage(
      await mock.fetch(post('/integrations/oauth2/authorize/consent', { pending, decision: 'allow' })),
      /unknown or has expired/,
    )
  })

  it('carries the PKCE challenge through the pages', async () => {
    const mock = createWorkfrontMock()
    const { verifier, challenge } = await createPKCEPair()
    const callback = await completeAuthorization(
      mock,
      authorizeURL({
        client_id: SPA.clientId,
        redirect_uri: SPA.redirectUri,
        response_type: 'code',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      USER,
    )
    const token = await mock.fetch(
      new Request(`${HOST}/integrations/oauth2/api/v1/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: SPA.clientId,
          redirect_uri: SPA.redirectUri,
          code: callback.searchParams.get('code')!,
          code_verifier: verifier,
        }),
      }),
    )
    expect(token.status).toBe(200)
  })
})

describe('autoConsent', () => {
  it('redirects at once with a code for the configured user', async () => {
    const mock = createWorkfrontMock({ autoConsent: { username: 'sam@acme.test' } })
    const response = await mock.fetch(new Request(authorizeURL({ ...VALID, state: 'auto' })))
    expect(response.status).toBe(302)
    const location = new URL(response.headers.get('location')!)
    expect(location.searchParams.get('state')).toBe('auto')
    const token = await exchangeCode(mock, location.searchParams.get('code')!)
    const { access_token } = (await token.json()) as { access_token: string }
    const session = await mock.fetch(
      new Request(`${HOST}/attask/api/v21.0/session`, { headers: { sessionID: access_token } }),
    )
    expect(await session.json()).toMatchObject({ data: { username: 'sam@acme.test' } })
  })

  it('still validates the request before redirecting', async () => {
    const mock = createWorkfrontMock({ autoConsent: { username: USER.username } })
    await expectErrorPage(
      await mock.fetch(new Request(authorizeURL({ ...VALID, redirect_uri: 'https://evil.example/cb' }))),
      /not registered/,
    )
  })

  it('refuses an unknown user at creation', () => {
    expect(() => createWorkfrontMock({ autoConsent: { username: 'ghost' } })).toThrow(/unknown user/)
  })
})

describe('mounted in another Hono app', () => {
  it('posts its forms under the mount path', async () => {
    const mock = createWorkfrontMock()
    const host = new Hono()
    host.get('/', (c) => c.text('host app'))
    host.route('/wf', mock.app)
    const hostFetch = async (request: Request) => host.fetch(request)

    const page = await host.request(`/wf/integrations/oauth2/authorize?${new URLSearchParams(VALID)}`)
    expect(await page.text()).toContain('action="/wf/integrations/oauth2/authorize/login"')

    const start = new URL(
      `/wf/integrations/oauth2/authorize?${new URLSearchParams({ ...VALID, state: 'm' })}`,
      HOST,
    )
    const callback = await completeAuthorization({ fetch: hostFetch }, start, USER)
    expect(callback.searchParams.get('state')).toBe('m')
    expect(await (await host.request('/')).text()).toBe('host app')
  })
})
