import type { TokenResponse } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock } from '@workfront-oauth/workfront-mock'

const mock = createWorkfrontMock({ autoConsent: { username: 'demo@acme.test' } })
const origin = `https://${mock.host}` // any host works: only the path is routed

// 1. The browser step. With autoConsent the authorize URL answers at once with the callback redirect.
const authorize = new URL('/integrations/oauth2/authorize', origin)
authorize.search = new URLSearchParams({
  client_id: 'demo-client',
  redirect_uri: 'http://127.0.0.1:8787/auth/callback',
  response_type: 'code',
  state: 'xyz',
}).toString()
const redirect = await mock.fetch(new Request(authorize))
const callback = new URL(redirect.headers.get('location') ?? '') // ?code=…&domain=acme&lane=my&state=xyz
console.log('callback:', callback.searchParams.get('domain'), callback.searchParams.get('state'))

// 2. The code exchange, Workfront's "example 1" form: Basic + JSON.
const tokenResponse = await mock.fetch(
  new Request(`${origin}/integrations/oauth2/api/v1/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${btoa('demo-client:demo-secret')}`,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({
      code: callback.searchParams.get('code'),
      grant_type: 'authorization_code',
      redirect_uri: 'http://127.0.0.1:8787/auth/callback',
    }),
  }),
)
// { token_type: 'sessionID', access_token, refresh_token, expires_in: 0, wid }
const tokens = (await tokenResponse.json()) as TokenResponse
console.log('token type:', tokens.token_type)

// 3. The API, with the access token as the session ID.
const projects = await mock.fetch(
  new Request(`${origin}/attask/api/v21.0/proj/search?status=CUR&fields=percentComplete`, {
    headers: { sessionID: tokens.access_token },
  }),
)
console.log('projects:', projects.status)

// 4. Knobs: let the session go idle; the API now answers 401 and the client must refresh.
mock.clock.advance(8 * 60 * 60 * 1000)
const expired = await mock.fetch(
  new Request(`${origin}/attask/api/v21.0/session`, { headers: { sessionID: tokens.access_token } }),
)
console.log('after 8 idle hours:', expired.status, mock.counters().apiCalls)
