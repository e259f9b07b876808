/** The README's example, kept compiling and passing, and identical to the README's text. */
import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { createWorkfrontMock } from './index'

it('README example', async () => {
  // --- README example start ---
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
  const callback = new URL(redirect.headers.get('location')!) // ?code=…&domain=acme&lane=my&state=xyz

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
  const tokens = await tokenResponse.json() // { token_type: 'sessionID', access_token, refresh_token, expires_in: 0, wid }

  // 3. The API, with the access token as the session ID.
  const projects = await mock.fetch(
    new Request(`${origin}/attask/api/v21.0/proj/search?status=CUR&fields=percentComplete`, {
      headers: { sessionID: tokens.access_token },
    }),
  )

  // 4. Knobs: let the session go idle; the API now answers 401 and the client must refresh.
  mock.clock.advance(8 * 60 * 60 * 1000)
  const expired = await mock.fetch(
    new Request(`${origin}/attask/api/v21.0/session`, { headers: { sessionID: tokens.access_token } }),
  )
  // --- README example end ---

  expect(callback.searchParams.get('state')).toBe('xyz')
  expect(tokens.token_type).toBe('sessionID')
  expect(projects.status).toBe(200)
  expect(expired.status).toBe(401)
  expect(mock.counters().apiCalls).toEqual({ '200': 1, '401': 1 })

  const source = await readFile(new URL(import.meta.url), 'utf8')
  const body = source
    .split('// --- README example start ---\n')[1]!
    .split('  // --- README example end ---')[0]!
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  expect(readme).toContain(body.replace(/^ {2}/gm, ''))
})
