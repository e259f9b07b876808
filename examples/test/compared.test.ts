/**
 * The rows of docs/compared.md that a test can check, checked against the Workfront mock (strict where
 * Workfront is): what openid-client and arctic do with Workfront's token endpoint.
 */
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import {
  CodeChallengeMethod,
  generateCodeVerifier,
  OAuth2Client,
  UnexpectedErrorResponseBodyError,
} from 'arctic'
import * as oidc from 'openid-client'
import { afterAll, describe, expect, it } from 'vitest'
import { serveMock } from './http.ts'

const REDIRECT = 'https://app.example.com/auth/callback'
const mock = createWorkfrontMock({
  apps: [
    { clientId: 'web', clientSecrets: ['web-secret'], redirectUris: [REDIRECT], type: 'web' },
    { clientId: 'spa', redirectUris: [REDIRECT], type: 'spa' },
  ],
})
const served = serveMock(mock)
afterAll(async () => (await served).close())
const user = { username: DEMO_USER.username, password: DEMO_USER.password }

describe('openid-client 6.9.0 [1]', () => {
  it('refuses Workfront’s token response: token_type "sessionID"', async () => {
    const { origin } = await served
    const config = new oidc.Configuration(
      {
        issuer: origin,
        authorization_endpoint: `${origin}/integrations/oauth2/authorize`,
        token_endpoint: `${origin}/integrations/oauth2/api/v1/token`,
      },
      'web',
      'web-secret', // client_secret_post: the secret in the form body, one of Workfront's documented forms
    )
    oidc.allowInsecureRequests(config)
    const state = oidc.randomState()
    const url = oidc.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, state })
    const callback = await completeAuthorization({ fetch }, url, user)
    const tokenCalls = mock.counters().tokenCalls.authorization_code
    const error = await oidc
      .authorizationCodeGrant(config, callback, { expectedState: state })
      .catch((e) => e)
    // The exchange itself succeeded at Workfront: the client refused the answer.
    expect(mock.counters().tokenCalls.authorization_code).toBe(tokenCalls + 1)
    expect(error).toBeInstanceOf(oidc.ClientError)
    expect(String((error as Error).cause)).toContain('unsupported `token_type` value')
  })
})

describe('arctic 3.7.0 [3][4]', () => {
  it('keeps token_type "sessionID" as sent (public client, PKCE)', async () => {
    const { origin } = await served
    const client = new OAuth2Client('spa', null, REDIRECT)
    const verifier = generateCodeVerifier()
    const url = client.createAuthorizationURLWithPKCE(
      `${origin}/integrations/oauth2/authorize`,
      'state-1',
      CodeChallengeMethod.S256,
      verifier,
      [],
    )
    const callback = await completeAuthorization({ fetch }, url, user)
    const tokens = await client.validateAuthorizationCode(
      `${origin}/integrations/oauth2/api/v1/token`,
      callback.searchParams.get('code')!,
      verifier,
    )
    expect(tokens.tokenType()).toBe('sessionID')
  })

  it('sends a confidential client’s secret as Basic with a form body, which Workfront does not document', async () => {
    const { origin } = await served
    const client = new OAuth2Client('web', 'web-secret', REDIRECT)
    const url = client.createAuthorizationURL(`${origin}/integrations/oauth2/authorize`, 'state-2', [])
    const callback = await completeAuthorization({ fetch }, url, user)
    const error = await client
      .validateAuthorizationCode(
        `${origin}/integrations/oauth2/api/v1/token`,
        callback.searchParams.get('code')!,
        null,
      )
      .catch((e) => e)
    // Workfront's error body is not RFC 6749's either: arctic cannot read it.
    expect(error).toBeInstanceOf(UnexpectedErrorResponseBodyError)
    expect((error as UnexpectedErrorResponseBodyError).status).toBe(400)
    expect((error as UnexpectedErrorResponseBodyError).data).toMatchObject({ type: 'INVALID_REQUEST' })
  })
})
