import { describe, expect, it } from 'vitest'
import { createWorkfrontMock } from './index'
import {
  apiRequest,
  basic,
  exchangeCode,
  formTokenRequest,
  frozenClock,
  jsonTokenRequest,
  obtainCode,
  refreshRequest,
  SPA,
  sessionStatus,
  TOKEN_URL,
  tokensFor,
  WEB,
} from './test-support'
import { createPKCEPair } from './testing'
import type { MockApp, TokenResponse } from './types'

async function expectTokenError(
  response: Response,
  status: number,
  type: string,
): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status)
  expect(response.headers.get('location')).toBeNull()
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(response.headers.get('cache-control')).toBe('no-store')
  const body = (await response.json()) as Record<string, unknown>
  expect(Object.keys(body).sort()).toEqual(['error', 'message', 'statusCode', 'type'])
  expect(body).toMatchObject({ statusCode: status, error: true, type })
  expect(typeof body.message).toBe('string')
  return body
}

async function expectTokens(response: Response): Promise<TokenResponse> {
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(response.headers.get('cache-control')).toBe('no-store')
  const body = (await response.json()) as TokenResponse
  expect(Object.keys(body)).toEqual(['token_type', 'access_token', 'refresh_token', 'expires_in', 'wid'])
  expect(body.token_type).toBe('sessionID')
  expect(body.access_token).toMatch(/^[0-9a-f]{32}$/)
  expect(body.refresh_token.length).toBeGreaterThanOrEqual(43)
  expect(typeof body.wid).toBe('string')
  return body
}

describe('token endpoint: the documented request forms', () => {
  it('accepts Basic + JSON (Workfront example 1) and the access token is an API session', async () => {
    const mock = createWorkfrontMock()
    const tokens = await expectTokens(await exchangeCode(mock, await obtainCode(mock)))
    expect(tokens.expires_in).toBe(0)
    expect(await sessionStatus(mock, tokens.access_token)).toBe(200)
  })

  it('accepts a form body with client_id and client_secret (example 2), charset included', async () => {
    const mock = createWorkfrontMock({ expiresIn: 3600 })
    const code = await obtainCode(mock)
    const response = await mock.fetch(
      new Request(TOKEN_URL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded;charset=UTF-8' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          redirect_uri: WEB.redirectUri,
          code,
          client_id: WEB.clientId,
          client_secret: WEB.secret,
        }),
      }),
    )
    const tokens = await expectTokens(response)
    expect(tokens.expires_in).toBe(3600)
  })

  it('accepts the PKCE public form for a spa app', async () => {
    const mock = createWorkfrontMock()
    const { verifier, challenge } = await createPKCEPair()
    const code = await obtainCode(mock, { clientId: SPA.clientId, redirectUri: SPA.redirectUri, challenge })
    const response = await mock.fetch(
      formTokenRequest({
        grant_type: 'authorization_code',
        client_id: SPA.clientId,
        redirect_uri: SPA.redirectUri,
        code,
        code_verifier: verifier,
      }),
    )
    const tokens = await expectTokens(response)
    // A public client refreshes with its client_id alone.
    const refreshed = await mock.fetch(
      formTokenRequest({
        grant_type: 'refresh_token',
        client_id: SPA.clientId,
        refresh_token: tokens.refresh_token,
      }),
    )
    await expectTokens(refreshed)
  })

  it('accepts any of an app secrets, raw or form-encoded in Basic (RFC 6749 §2.3.1)', async () => {
    const app: MockApp = {
      clientId: 'two-secrets',
      clientSecrets: ['first-secret', 'second:se cret%'],
      redirectUris: ['https://app.example/cb'],
      type: 'web',
    }
    const mock = createWorkfrontMock({ apps: [app] })
    const credentials = [
      { id: 'two-secrets', secret: 'first-secret' },
      { id: 'two-secrets', secret: 'second:se cret%' },
      { id: 'two-secrets', secret: encodeURIComponent('second:se cret%') },
    ]
    for (const credential of credentials) {
      const code = await obtainCode(mock, { clientId: app.clientId, redirectUri: 'https://app.example/cb' })
      const response = await mock.fetch(
        jsonTokenRequest(
          { code, grant_type: 'authorization_code', redirect_uri: 'https://app.example/cb' },
          credential,
        ),
      )
      await expectTokens(response)
    }
  })
})

describe('token endpoint: anything else is rejected', () => {
  it('rejects Basic with a form body (undocumented combination)', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    const response = await mock.fetch(
      formTokenRequest(
        { grant_type: 'authorization_code', code, redirect_uri: WEB.redirectUri },
        { Authorization: basic(WEB.clientId, WEB.secret) },
      ),
    )
    await expectTokenError(response, 400, 'INVALID_REQUEST')
  })

  it('rejects JSON without Basic, and JSON carrying client_secret', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    const noBasic = await mock.fetch(
      new Request(TOKEN_URL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          code,
          grant_type: 'authorization_code',
          redirect_uri: WEB.redirectUri,
          client_id: WEB.clientId,
          client_secret: WEB.secret,
        }),
      }),
    )
    await expectTokenError(noBasic, 401, 'INVALID_CLIENT')
    const twice = await mock.fetch(
      jsonTokenRequest({
        code,
        grant_type: 'authorization_code',
        redirect_uri: WEB.redirectUri,
        client_secret: WEB.secret,
      }),
    )
    await expectTokenError(twice, 400, 'INVALID_REQUEST')
    // Neither attempt consumed the code.
    await expectTokens(await exchangeCode(mock, code))
  })

  it('rejects other content types with 415 and other methods with 405', async () => {
    const mock = createWorkfrontMock()
    for (const contentType of ['text/plain', 'multipart/form-data; boundary=x', undefined]) {
      const headers: Record<string, string> = { Authorization: basic(WEB.clientId, WEB.secret) }
      if (contentType) headers['Content-Type'] = contentType
      const response = await mock.fetch(
        new Request(TOKEN_URL, { method: 'POST', headers, body: 'grant_type=authorization_code' }),
      )
      await expectTokenError(response, 415, 'INVALID_REQUEST')
    }
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await mock.fetch(new Request(TOKEN_URL, { method }))
      await expectTokenError(response, 405, 'INVALID_REQUEST')
      expect(response.headers.get('allow')).toBe('POST')
    }
  })

  it('rejects malformed bodies and repeated parameters', async () => {
    const mock = createWorkfrontMock()
    const notJSON = new Request(TOKEN_URL, {
      method: 'POST',
      headers: { Authorization: basic(WEB.clientId, WEB.secret), 'Content-Type': 'application/json' },
      body: '{"grant_type":',
    })
    await expectTokenError(await mock.fetch(notJSON), 400, 'INVALID_REQUEST')
    await expectTokenError(
      await mock.fetch(
        jsonTokenRequest({ grant_type: 'authorization_code', code: 1, redirect_uri: WEB.redirectUri }),
      ),
      400,
      'INVALID_REQUEST',
    )
    const repeated = `grant_type=refresh_token&refresh_token=a&refresh_token=b&client_id=${WEB.clientId}&client_secret=${WEB.secret}`
    await expectTokenError(await mock.fetch(formTokenRequest(repeated)), 400, 'INVALID_REQUEST')
  })

  it('authenticates clients strictly and never echoes a secret', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    const wrongSecret = await mock.fetch(
      jsonTokenRequest(
        { code, grant_type: 'authorization_code', redirect_uri: WEB.redirectUri },
        { id: WEB.clientId, secret: 'not-the-secret' },
      ),
    )
    const body = await expectTokenError(wrongSecret, 401, 'INVALID_CLIENT')
    expect(wrongSecret.headers.get('www-authenticate')).toMatch(/^Basic /)
    expect(JSON.stringify(body)).not.toMatch(/not-the-secret|demo-secret/)

    const cases: Array<Record<string, string>> = [
      // unknown client
      { client_id: 'nobody', client_secret: WEB.secret },
      // a web app must authenticate: the public form is for spa apps only
      { client_id: WEB.clientId },
      // a spa app has no secret to send
      { client_id: SPA.clientId, client_secret: 'anything' },
      // wrong secret in the form
      { client_id: WEB.clientId, client_secret: 'nope' },
      // empty secret
      { client_id: WEB.clientId, client_secret: '' },
    ]
    for (const credentials of cases) {
      const response = await mock.fetch(
        formTokenRequest({
          grant_type: 'authorization_code',
          code,
          redirect_uri: WEB.redirectUri,
          ...credentials,
        }),
      )
      await expectTokenError(response, 401, 'INVALID_CLIENT')
      expect(response.headers.get('www-authenticate')).toBeNull()
    }
    // a spa app cannot use Basic either
    const spaBasic = await mock.fetch(
      jsonTokenRequest(
        { code, grant_type: 'authorization_code', redirect_uri: SPA.redirectUri },
        { id: SPA.clientId, secret: '' },
      ),
    )
    await expectTokenError(spaBasic, 401, 'INVALID_CLIENT')
    const missingId = await mock.fetch(formTokenRequest({ grant_type: 'authorization_code', code }))
    await expectTokenError(missingId, 401, 'INVALID_CLIENT')
    await expectTokens(await exchangeCode(mock, code))
  })

  it('requires grant_type, code and redirect_uri, and knows only two grant types', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    await expectTokenError(
      await mock.fetch(jsonTokenRequest({ code, redirect_uri: WEB.redirectUri })),
      400,
      'INVALID_REQUEST',
    )
    await expectTokenError(
      await mock.fetch(jsonTokenRequest({ grant_type: 'authorization_code', redirect_uri: WEB.redirectUri })),
      400,
      'INVALID_REQUEST',
    )
    await expectTokenError(
      await mock.fetch(jsonTokenRequest({ grant_type: 'authorization_code', code })),
      400,
      'INVALID_REQUEST',
    )
    for (const grantType of [
      'client_credentials',
      'password',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ]) {
      await expectTokenError(
        await mock.fetch(jsonTokenRequest({ grant_type: grantType, code, redirect_uri: WEB.redirectUri })),
        400,
        'UNSUPPORTED_GRANT_TYPE',
      )
    }
    await expectTokenError(await mock.fetch(refreshRequest('')), 400, 'INVALID_REQUEST')
  })
})

describe('authorization codes', () => {
  it('are single use, and a reuse revokes every token the code produced (RFC 6749 §4.1.2)', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    const first = await expectTokens(await exchangeCode(mock, code))
    // The grant lives on through a refresh before the replay.
    const refreshed = await expectTokens(await mock.fetch(refreshRequest(first.refresh_token)))
    expect(await sessionStatus(mock, refreshed.access_token)).toBe(200)

    await expectTokenError(await exchangeCode(mock, code), 400, 'INVALID_GRANT')
    expect(mock.counters().codeReuses).toBe(1)
    expect(await sessionStatus(mock, first.access_token)).toBe(401)
    expect(await sessionStatus(mock, refreshed.access_token)).toBe(401)
    await expectTokenError(await mock.fetch(refreshRequest(refreshed.refresh_token)), 400, 'INVALID_GRANT')
    // A revoked token is not a rotation reuse.
    expect(mock.counters().refreshReuses).toBe(0)
  })

  it('let exactly one of two concurrent exchanges win', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    const responses = await Promise.all([exchangeCode(mock, code), exchangeCode(mock, code)])
    expect(responses.map((r) => r.status).sort()).toEqual([200, 400])
    expect(mock.counters().codeReuses).toBe(1)
  })

  it('expire 2 minutes after issue, by the mock clock', async () => {
    let now = 1_767_225_600_000
    const mock = createWorkfrontMock({ clock: { now: () => now } })
    const almost = await obtainCode(mock)
    mock.clock.advance(119_999)
    await expectTokens(await exchangeCode(mock, almost))

    const late = await obtainCode(mock)
    now += 120_000
    const body = await expectTokenError(await exchangeCode(mock, late), 400, 'INVALID_GRANT')
    expect(body.message).toMatch(/expired/)
  })

  it('honour codeTtlMs', async () => {
    const mock = createWorkfrontMock({ codeTtlMs: 5_000 })
    const code = await obtainCode(mock)
    mock.clock.advance(5_000)
    await expectTokenError(await exchangeCode(mock, code), 400, 'INVALID_GRANT')
  })

  it('are bound to the redirect_uri and the client of the authorization request', async () => {
    const other: MockApp = {
      clientId: 'other-client',
      clientSecrets: ['other-secret'],
      redirectUris: [WEB.redirectUri],
      type: 'web',
    }
    const mock = createWorkfrontMock({
      apps: [
        {
          clientId: WEB.clientId,
          clientSecrets: [WEB.secret],
          redirectUris: [WEB.redirectUri, 'http://localhost:8787/auth/callback'],
          type: 'web',
        },
        other,
      ],
    })
    const code = await obtainCode(mock)
    // Registered too, but not the one the code was issued for.
    await expectTokenError(
      await exchangeCode(mock, code, 'http://localhost:8787/auth/callback'),
      400,
      'INVALID_GRANT',
    )
    const stolen = await mock.fetch(
      jsonTokenRequest(
        { code, grant_type: 'authorization_code', redirect_uri: WEB.redirectUri },
        { id: other.clientId, secret: 'other-secret' },
      ),
    )
    await expectTokenError(stolen, 400, 'INVALID_GRANT')
    await expectTokenError(await exchangeCode(mock, 'made-up-code'), 400, 'INVALID_GRANT')
    await expectTokens(await exchangeCode(mock, code))
  })
})

describe('PKCE', () => {
  async function spaExchange(mock: ReturnType<typeof createWorkfrontMock>, code: string, verifier?: string) {
    const fields: Record<string, string> = {
      grant_type: 'authorization_code',
      client_id: SPA.clientId,
      redirect_uri: SPA.redirectUri,
      code,
    }
    if (verifier !== undefined) fields.code_verifier = verifier
    return mock.fetch(formTokenRequest(fields))
  }

  it('checks the S256 verifier for a spa app', async () => {
    const mock = createWorkfrontMock()
    const { verifier, challenge } = await createPKCEPair()
    const other = await createPKCEPair()
    const code = await obtainCode(mock, { clientId: SPA.clientId, redirectUri: SPA.redirectUri, challenge })
    await expectTokenError(await spaExchange(mock, code), 400, 'INVALID_REQUEST')
    await expectTokenError(await spaExchange(mock, code, other.verifier), 400, 'INVALID_GRANT')
    await expectTokens(await spaExchange(mock, code, verifier))
  })

  it('accepts verifiers of 43 to 128 characters of the RFC 7636 alphabet only', async () => {
    const mock = createWorkfrontMock()
    const { S256 } = await import('./crypto')
    for (const verifier of ['a'.repeat(43), `${'Az09-._~'.repeat(16)}`]) {
      const code = await obtainCode(mock, {
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUri,
        challenge: await S256(verifier),
      })
      await expectTokens(await spaExchange(mock, code, verifier))
    }
    for (const verifier of ['a'.repeat(42), 'a'.repeat(129), `${'a'.repeat(42)}+`, `${'a'.repeat(42)} `]) {
      const code = await obtainCode(mock, {
        clientId: SPA.clientId,
        redirectUri: SPA.redirectUri,
        challenge: await S256(verifier),
      })
      await expectTokenError(await spaExchange(mock, code, verifier), 400, 'INVALID_REQUEST')
    }
  })

  it('is optional for a web app, and enforced once a challenge was sent', async () => {
    const mock = createWorkfrontMock()
    const { verifier, challenge } = await createPKCEPair()
    const code = await obtainCode(mock, { challenge })
    const exchange = (codeVerifier?: string) =>
      mock.fetch(
        jsonTokenRequest({
          code,
          grant_type: 'authorization_code',
          redirect_uri: WEB.redirectUri,
          ...(codeVerifier ? { code_verifier: codeVerifier } : {}),
        }),
      )
    await expectTokenError(await exchange(), 400, 'INVALID_GRANT')
    await expectTokens(await exchange(verifier))

    // RFC 9700 §2.1.1: a verifier for a code issued without a challenge is a downgrade attempt.
    const plain = await obtainCode(mock)
    const downgrade = await mock.fetch(
      jsonTokenRequest({
        code: plain,
        grant_type: 'authorization_code',
        redirect_uri: WEB.redirectUri,
        code_verifier: verifier,
      }),
    )
    await expectTokenError(downgrade, 400, 'INVALID_GRANT')
  })
})

describe('refresh', () => {
  it('rotates: a new refresh token each time, the old one disabled and its reuse counted', async () => {
    const mock = createWorkfrontMock()
    const first = await tokensFor(mock)
    const second = await expectTokens(await mock.fetch(refreshRequest(first.refresh_token)))
    expect(second.refresh_token).not.toBe(first.refresh_token)
    expect(second.access_token).not.toBe(first.access_token)
    expect(await sessionStatus(mock, second.access_token)).toBe(200)

    const reuse = await expectTokenError(
      await mock.fetch(refreshRequest(first.refresh_token)),
      400,
      'INVALID_GRANT',
    )
    expect(reuse.message).toMatch(/already been used/)
    expect(mock.counters().refreshReuses).toBe(1)
    // Workfront documents no family revocation: the newest token still works.
    const third = await expectTokens(
      await mock.fetch(
        jsonTokenRequest({ grant_type: 'refresh_token', refresh_token: second.refresh_token }),
      ),
    )
    expect(mock.counters().tokenCalls).toEqual({ authorization_code: 1, refresh_token: 3, other: 0 })
    expect(third.refresh_token).not.toBe(second.refresh_token)
  })

  it('lets exactly one of two concurrent refreshes of one token win', async () => {
    const mock = createWorkfrontMock()
    const { refresh_token } = await tokensFor(mock)
    const responses = await Promise.all([
      mock.fetch(refreshRequest(refresh_token)),
      mock.fetch(refreshRequest(refresh_token)),
    ])
    expect(responses.map((r) => r.status).sort()).toEqual([200, 400])
    expect(mock.counters().refreshReuses).toBe(1)
  })

  it('keeps the refresh token when rotation is off', async () => {
    const mock = createWorkfrontMock({
      apps: [
        {
          clientId: WEB.clientId,
          clientSecrets: [WEB.secret],
          redirectUris: [WEB.redirectUri],
          type: 'web',
          rotation: false,
        },
      ],
    })
    const first = await tokensFor(mock)
    const second = await expectTokens(await mock.fetch(refreshRequest(first.refresh_token)))
    const third = await expectTokens(await mock.fetch(refreshRequest(first.refresh_token)))
    expect(second.refresh_token).toBe(first.refresh_token)
    expect(third.refresh_token).toBe(first.refresh_token)
    expect(new Set([first.access_token, second.access_token, third.access_token]).size).toBe(3)
    expect(mock.counters().refreshReuses).toBe(0)
  })

  it('accepts an optional registered redirect_uri and rejects an unregistered one', async () => {
    const mock = createWorkfrontMock()
    const first = await tokensFor(mock)
    const second = await expectTokens(
      await mock.fetch(refreshRequest(first.refresh_token, { redirect_uri: WEB.redirectUri })),
    )
    await expectTokenError(
      await mock.fetch(refreshRequest(second.refresh_token, { redirect_uri: 'https://evil.example/cb' })),
      400,
      'INVALID_REQUEST',
    )
  })

  it('binds refresh tokens to their client', async () => {
    const mock = createWorkfrontMock()
    const { verifier, challenge } = await createPKCEPair()
    const code = await obtainCode(mock, { clientId: SPA.clientId, redirectUri: SPA.redirectUri, challenge })
    const spaTokens = await expectTokens(
      await mock.fetch(
        formTokenRequest({
          grant_type: 'authorization_code',
          client_id: SPA.clientId,
          redirect_uri: SPA.redirectUri,
          code,
          code_verifier: verifier,
        }),
      ),
    )
    await expectTokenError(await mock.fetch(refreshRequest(spaTokens.refresh_token)), 400, 'INVALID_GRANT')
    await expectTokenError(await mock.fetch(refreshRequest('unknown-token')), 400, 'INVALID_GRANT')
  })

  it('expires refresh tokens at an absolute limit counted from the grant, across rotations', async () => {
    const mock = createWorkfrontMock({
      clock: frozenClock(),
      apps: [
        {
          clientId: WEB.clientId,
          clientSecrets: [WEB.secret],
          redirectUris: [WEB.redirectUri],
          type: 'web',
          refreshTokenAbsoluteTtlMs: 10_000,
        },
      ],
    })
    const first = await tokensFor(mock)
    mock.clock.advance(9_999)
    const second = await expectTokens(await mock.fetch(refreshRequest(first.refresh_token)))
    mock.clock.advance(1)
    await expectTokenError(await mock.fetch(refreshRequest(second.refresh_token)), 400, 'INVALID_GRANT')
  })

  it('expires refresh tokens after inactivity, each use restarting the timer', async () => {
    for (const rotation of [true, false]) {
      const mock = createWorkfrontMock({
        clock: frozenClock(),
        apps: [
          {
            clientId: WEB.clientId,
            clientSecrets: [WEB.secret],
            redirectUris: [WEB.redirectUri],
            type: 'web',
            rotation,
            refreshTokenIdleTtlMs: 1_000,
          },
        ],
      })
      const first = await tokensFor(mock)
      mock.clock.advance(999)
      const second = await expectTokens(await mock.fetch(refreshRequest(first.refresh_token)))
      mock.clock.advance(999)
      const third = await expectTokens(await mock.fetch(refreshRequest(second.refresh_token)))
      mock.clock.advance(1_000)
      const body = await expectTokenError(
        await mock.fetch(refreshRequest(third.refresh_token)),
        400,
        'INVALID_GRANT',
      )
      expect(body.message).toMatch(/inactivity/)
    }
  })
})

describe('error shapes', () => {
  it('uses the RFC 6749 shape when asked', async () => {
    const mock = createWorkfrontMock({ errorShape: 'rfc6749' })
    const response = await mock.fetch(refreshRequest('unknown'))
    expect(response.status).toBe(400)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['error', 'error_description'])
    expect(body.error).toBe('invalid_grant')

    const unauthenticated = await mock.fetch(
      formTokenRequest({
        grant_type: 'refresh_token',
        client_id: 'nobody',
        client_secret: 'x',
        refresh_token: 'x',
      }),
    )
    expect(unauthenticated.status).toBe(401)
    expect(await unauthenticated.json()).toMatchObject({ error: 'invalid_client' })
  })

  it('uses the Workfront shape by default', async () => {
    const mock = createWorkfrontMock()
    const response = await mock.fetch(refreshRequest('unknown'))
    expect(await response.json()).toEqual({
      statusCode: 400,
      error: true,
      type: 'INVALID_GRANT',
      message: 'The refresh token is invalid.',
    })
  })

  it('is not an API error: the API keeps its own shape', async () => {
    const mock = createWorkfrontMock({ errorShape: 'rfc6749' })
    const response = await mock.fetch(apiRequest('v21.0/session'))
    expect(await response.json()).toMatchObject({
      error: { class: 'com.attask.common.AuthenticationException' },
    })
  })
})
