import { describe, expect, it } from 'vitest'
import { createWorkfrontMock, DEMO_USER, DEMO_WEB_APP } from './index'
import { completeAuthorization, createPKCEPair } from './testing'

const HOST = 'https://acme.my.workfront.com'
const REDIRECT = DEMO_WEB_APP.redirectUris[0]!

describe('inside workerd', () => {
  it('runs in the Workers runtime', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers')
  })

  it('completes a code flow with autoConsent, refreshes and calls the API', async () => {
    const mock = createWorkfrontMock({ autoConsent: { username: DEMO_USER.username } })
    const { verifier, challenge } = await createPKCEPair()
    const authorize = new URL('/integrations/oauth2/authorize', HOST)
    authorize.search = new URLSearchParams({
      client_id: DEMO_WEB_APP.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      state: 'worker-state',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString()

    const callback = await completeAuthorization(mock, authorize, { username: '', password: '' })
    expect(callback.origin + callback.pathname).toBe(REDIRECT)
    expect(callback.searchParams.get('state')).toBe('worker-state')
    expect(callback.searchParams.get('domain')).toBe('acme')
    expect(callback.searchParams.get('lane')).toBe('my')

    const token = await mock.fetch(
      new Request(`${HOST}/integrations/oauth2/api/v1/token`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${btoa(`${DEMO_WEB_APP.clientId}:${DEMO_WEB_APP.clientSecrets[0]}`)}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          code: callback.searchParams.get('code'),
          grant_type: 'authorization_code',
          redirect_uri: REDIRECT,
          code_verifier: verifier,
        }),
      }),
    )
    expect(token.status).toBe(200)
    const tokens = (await token.json()) as { token_type: string; access_token: string; refresh_token: string }
    expect(tokens.token_type).toBe('sessionID')

    const refreshed = await mock.fetch(
      new Request(`${HOST}/integrations/oauth2/api/v1/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token,
          client_id: DEMO_WEB_APP.clientId,
          client_secret: DEMO_WEB_APP.clientSecrets[0]!,
        }),
      }),
    )
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as { access_token: string; refresh_token: string }
    expect(next.refresh_token).not.toBe(tokens.refresh_token)

    const session = await mock.fetch(
      new Request(`${HOST}/attask/api/v21.0/session`, { headers: { sessionID: next.access_token } }),
    )
    expect(session.status).toBe(200)
    expect(await session.json()).toEqual({ data: { userID: DEMO_USER.id, username: DEMO_USER.username } })
    expect(mock.counters().tokenCalls).toEqual({ authorization_code: 1, refresh_token: 1, other: 0 })
  })

  it('simulates a dropped connection as a rejected fetch', async () => {
    const mock = createWorkfrontMock()
    mock.injectFailure({ endpoint: 'api', kind: 'reset' })
    await expect(mock.fetch(new Request(`${HOST}/attask/api/v21.0/session`))).rejects.toThrow(TypeError)
  })
})
