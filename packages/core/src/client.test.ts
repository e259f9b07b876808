import { eventually } from '@workfront-oauth/test-kit'
import { describe, expect, it } from 'vitest'
import { createWorkfrontClient } from './api.ts'
import type { WorkfrontOAuth, WorkfrontOAuthOptions } from './client.ts'
import { createWorkfrontOAuth } from './client.ts'
import { memoryStore } from './memory-store.ts'
import type { StoragePort } from './ports.ts'
import { failure } from './test/failure.ts'
import type { TokenEndpointOptions } from './test/token-endpoint.ts'
import { createTokenEndpoint, USER } from './test/token-endpoint.ts'
import type { FakeClock } from './testing.ts'
import { createFakeClock, hiccupStore } from './testing.ts'

const BASE = 'https://acme.my.workfront.com'
const REDIRECT = 'https://app.example.com/auth/callback'

function setup(
  overrides: Partial<WorkfrontOAuthOptions> = {},
  endpointOptions: TokenEndpointOptions = {},
): { oauth: WorkfrontOAuth; endpoint: ReturnType<typeof createTokenEndpoint>; store: StoragePort } {
  const endpoint = createTokenEndpoint(endpointOptions)
  const store = overrides.store ?? memoryStore()
  const [oauth] = instances(1, store, endpoint, overrides) as [WorkfrontOAuth]
  return { oauth, endpoint, store }
}

/** Several instances of the client (as in several processes) sharing one store and one endpoint. */
function instances(
  count: number,
  store: StoragePort,
  endpoint: ReturnType<typeof createTokenEndpoint>,
  overrides: Partial<WorkfrontOAuthOptions> = {},
): WorkfrontOAuth[] {
  return Array.from({ length: count }, () =>
    createWorkfrontOAuth({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      redirectUri: REDIRECT,
      baseUrl: BASE,
      store,
      http: endpoint.fetch,
      ...overrides,
    }),
  )
}

/** Plays the browser and Workfront: start, consent (a code for the challenge), callback. */
async function signIn(oauth: WorkfrontOAuth, endpoint: ReturnType<typeof createTokenEndpoint>) {
  const { url, state } = await oauth.startLogin({ returnTo: '/projects' })
  const challenge = new URL(url).searchParams.get('code_challenge')
  const code = endpoint.issueCode(challenge)
  return oauth.handleCallback(new URLSearchParams({ code, state, domain: 'acme', lane: 'my' }))
}

const tokenRequests = (endpoint: ReturnType<typeof createTokenEndpoint>) =>
  endpoint.requests.filter((r) => r.url.endsWith('/integrations/oauth2/api/v1/token'))

/** Holds the next token request at Workfront's door until the returned function is called. */
function holdNextTokenRequest(endpoint: ReturnType<typeof createTokenEndpoint>): () => void {
  let open = (): void => {}
  endpoint.push({ kind: 'gate', until: new Promise<void>((resolve) => (open = resolve)) })
  return open
}

describe('who signed in, read at sign-in and again after each refresh', () => {
  const apiPaths = (endpoint: ReturnType<typeof createTokenEndpoint>) =>
    endpoint.requests.filter((r) => r.url.includes('/attask/api/')).map((r) => new URL(r.url).pathname)

  it('reads the profile by default (GET session, GET user/<id>) and keeps it with the grant, through refreshes', async () => {
    const { oauth, endpoint } = setup()
    const { grant } = await signIn(oauth, endpoint)
    const user = { userID: USER.ID, name: USER.name, username: USER.username, emailAddr: USER.emailAddr }
    expect(grant.user).toEqual(user)
    expect(apiPaths(endpoint)).toEqual(['/attask/api/v21.0/session', `/attask/api/v21.0/user/${USER.ID}`])
    expect(new URL(endpoint.requests.at(-1)?.url ?? '').searchParams.get('fields')).toBe(
      'name,username,emailAddr',
    )
    // Knowing who is signed in costs nothing later: the grant has it.
    expect((await oauth.getGrant(grant.id))?.user).toEqual(user)
    for (let i = 0; i < 3; i++) await oauth.getAccessToken(grant.id)
    expect(apiPaths(endpoint)).toHaveLength(2)
    // A refresh reads it again with the new session, in the background; unchanged, it stays as it was.
    await oauth.getAccessToken(grant.id, {
      rejectedAccessToken: (await oauth.getAccessToken(grant.id)).accessToken,
    })
    await oauth.pendingWrites()
    expect(await oauth.getGrant(grant.id)).toMatchObject({ refreshCount: 1, user })
    expect(apiPaths(endpoint).slice(2)).toEqual([
      '/attask/api/v21.0/session',
      `/attask/api/v21.0/user/${USER.ID}`,
    ])
  })

  it("'id' reads the user's ID only; false reads nothing", async () => {
    const idOnly = setup({ user: 'id' })
    const { grant } = await signIn(idOnly.oauth, idOnly.endpoint)
    expect(grant.user).toEqual({ userID: USER.ID, name: null, username: null, emailAddr: null })
    expect(apiPaths(idOnly.endpoint)).toEqual(['/attask/api/v21.0/session'])
    const none = setup({ user: false })
    expect((await signIn(none.oauth, none.endpoint)).grant.user).toBeNull()
    expect(apiPaths(none.endpoint)).toEqual([])
  })

  it('fails a sign-in whose user cannot be read, ends the session it opened and stores nothing', async () => {
    const endpoint = createTokenEndpoint()
    const http = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.endsWith('/session')) return Response.json({ error: { class: 'Boom' } }, { status: 500 })
      return endpoint.fetch(input, init)
    }
    const store = memoryStore()
    const { oauth } = setup({ http, store })
    const error = await failure(signIn(oauth, endpoint))
    expect(error).toMatchObject({ code: 'api_error', status: 500, upstreamCode: 'Boom' })
    expect(apiPaths(endpoint)).toEqual(['/attask/api/v21.0/logout'])
    expect(endpoint.sessions.size).toBe(0)
    expect(store.size().values).toBe(0)
  })
})

describe('code exchange on the wire', () => {
  it('sends the form body with client_id and client_secret by default (Example 2)', async () => {
    const { oauth, endpoint } = setup()
    const { grant, returnTo } = await signIn(oauth, endpoint)
    const [request] = tokenRequests(endpoint)
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded;charset=UTF-8')
    expect(request?.headers.authorization).toBeUndefined()
    expect(Object.fromEntries(new URLSearchParams(request?.body))).toEqual({
      grant_type: 'authorization_code',
      redirect_uri: REDIRECT,
      code: 'code-1',
      client_id: 'client-1',
      client_secret: 'secret-1',
    })
    expect(request?.url).toBe(`${BASE}/integrations/oauth2/api/v1/token`)
    expect(grant).toMatchObject({
      origin: BASE,
      tokenType: 'sessionID',
      wid: 'wid-2',
      expiresAt: null,
      refreshCount: 0,
    })
    expect(returnTo).toBe('/projects')
  })

  it('sends Basic credentials with the JSON body of Example 1, field for field', async () => {
    const { oauth, endpoint } = setup({ clientAuth: 'basic' })
    const { grant } = await signIn(oauth, endpoint)
    const [request] = tokenRequests(endpoint)
    expect(request?.headers.authorization).toBe(`Basic ${btoa('client-1:secret-1')}`)
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.body).toBe(
      `{"code":"code-1","grant_type":"authorization_code","redirect_uri":"${REDIRECT}"}`,
    )
    // Refresh in the same form: {"grant_type":"refresh_token","refresh_token":…}.
    await oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })
    const refresh = tokenRequests(endpoint)[1]
    expect(refresh?.headers.authorization).toBe(`Basic ${btoa('client-1:secret-1')}`)
    expect(refresh?.body).toBe('{"grant_type":"refresh_token","refresh_token":"refresh-2"}')
  })

  it('refreshes with the documented form body, redirect_uri included', async () => {
    const { oauth, endpoint } = setup()
    const { grant } = await signIn(oauth, endpoint)
    const token = await oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })
    expect(token).toEqual({
      grantId: grant.id,
      origin: BASE,
      accessToken: 'session-3',
      tokenType: 'sessionID',
    })
    const refresh = tokenRequests(endpoint)[1]
    expect(Object.fromEntries(new URLSearchParams(refresh?.body))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-2',
      redirect_uri: REDIRECT,
      client_id: 'client-1',
      client_secret: 'secret-1',
    })
    expect(await oauth.getGrant(grant.id)).toMatchObject({ refreshCount: 1, wid: 'wid-3' })
  })

  it('uses PKCE S256 and no secret for public clients (single-page app type)', async () => {
    const { oauth, endpoint } = setup({ clientSecret: undefined }, { clientSecret: null })
    const { url } = await oauth.startLogin()
    const params = new URL(url).searchParams
    expect(params.get('code_challenge_method')).toBe('S256')
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const code = endpoint.issueCode(params.get('code_challenge'))
    await oauth.handleCallback(new URLSearchParams({ code, state: params.get('state') as string }))
    const body = Object.fromEntries(new URLSearchParams(tokenRequests(endpoint)[0]?.body))
    expect(body.client_secret).toBeUndefined()
    expect(body.code_verifier?.length).toBeGreaterThanOrEqual(43)
    expect(body.client_id).toBe('client-1')
  })

  it('sends PKCE with a secret when asked, and not otherwise', async () => {
    const withPKCE = setup({ pkce: true })
    expect((await withPKCE.oauth.startLogin()).url).toContain('code_challenge_method=S256')
    const without = setup()
    expect((await without.oauth.startLogin()).url).not.toContain('code_challenge')
    expect(() => setup({ clientSecret: undefined, pkce: false })).toThrow(/PKCE/)
  })

  it('keeps a positive expires_in as a known expiry', async () => {
    const clock = createFakeClock()
    const { oauth, endpoint } = setup({ clock }, { expiresIn: 3600 })
    const { grant } = await signIn(oauth, endpoint)
    expect(grant.expiresAt).toBe(clock.now() + 3_600_000)
    expect((await oauth.getAccessToken(grant.id)).accessToken).toBe('session-2')
    clock.advance(3_600_000 - 59_000)
    expect((await oauth.getAccessToken(grant.id)).accessToken).toBe('session-3')
  })

  it('keeps the old refresh token when a refresh response carries none', async () => {
    const { oauth, endpoint, store } = setup({}, { rotation: false })
    const { grant } = await signIn(oauth, endpoint)
    endpoint.push({ kind: 'omitRefreshToken' })
    await oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })
    const record = JSON.parse((await store.getVersioned(`grant:${grant.id}`))?.value ?? '{}')
    expect(record).toMatchObject({ accessToken: 'session-3', refreshToken: 'refresh-2', refreshCount: 1 })
  })

  it.each(['workfront', 'rfc6749'] as const)('reads %s-shaped error bodies', async (errorShape) => {
    const { oauth, endpoint } = setup({}, { errorShape })
    const { state } = await oauth.startLogin()
    const error = await failure(oauth.handleCallback(new URLSearchParams({ code: 'never-issued', state })))
    expect(error.code).toBe('code_rejected')
    expect(error.status).toBe(400)
    expect(error.upstreamCode).toBe(errorShape === 'workfront' ? 'INVALID_GRANT' : 'invalid_grant')
    expect(endpoint.counters.code).toBe(1)
  })

  // Issue #12 finding 11: a wrong client secret was reported as code_rejected, and nothing was logged.
  it.each([
    [
      'a wrong secret (Workfront body, 401)',
      'workfront',
      'post',
      { clientSecret: 'wrong-secret-9' },
      401,
      'INVALID_CLIENT',
    ],
    [
      'a wrong secret in Basic (RFC body, 401)',
      'rfc6749',
      'basic',
      { clientSecret: 'wrong-secret-9' },
      401,
      'invalid_client',
    ],
    ['an unknown client ID', 'workfront', 'post', { clientId: 'client-typo' }, 401, 'INVALID_CLIENT'],
  ] as const)(
    'reports %s as client_rejected and logs it for the operator, without the secret',
    async (_, errorShape, clientAuth, wrong, status, upstreamCode) => {
      const logged: { level: string; message: string; details: Record<string, unknown> }[] = []
      const logger = {
        warn: (message: string, details: Record<string, unknown>) =>
          logged.push({ level: 'warn', message, details }),
        error: (message: string, details: Record<string, unknown>) =>
          logged.push({ level: 'error', message, details }),
      }
      const { oauth, endpoint } = setup({ logger, clientAuth, ...wrong }, { errorShape })
      const { state } = await oauth.startLogin()
      const error = await failure(
        oauth.handleCallback(new URLSearchParams({ code: endpoint.issueCode(), state })),
      )
      expect(error).toMatchObject({ code: 'client_rejected', status, upstreamCode })
      expect(error.message).toContain('misconfigured')
      expect(logged).toEqual([
        {
          level: 'error',
          message: expect.stringContaining('client credentials'),
          details: {
            code: 'client_rejected',
            clientId: 'clientId' in wrong ? wrong.clientId : 'client-1',
            clientAuth,
            host: 'acme.my.workfront.com',
            grantType: 'authorization_code',
            status,
            upstreamCode,
          },
        },
      ])
      const everything = `${JSON.stringify(logged)} ${error.message} ${JSON.stringify(error)}`
      for (const secret of ['wrong-secret-9', 'secret-1']) expect(everything).not.toContain(secret)
    },
  )

  it('reports unauthorized_client (400) as client_rejected too, and a refresh refused that way keeps the grant', async () => {
    const logged: unknown[] = []
    const logger = { warn: () => undefined, error: (_: string, details: unknown) => logged.push(details) }
    const { oauth, endpoint, store } = setup({ logger })
    const { grant } = await signIn(oauth, endpoint)
    endpoint.push({ kind: 'status', status: 400, body: JSON.stringify({ error: 'unauthorized_client' }) })
    const error = await failure(oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' }))
    expect(error).toMatchObject({ code: 'client_rejected', status: 400, upstreamCode: 'unauthorized_client' })
    expect(logged).toEqual([expect.objectContaining({ grantType: 'refresh_token' })])
    // Not the refresh token's fault: the grant stays, and once the app is fixed the refresh works.
    expect(await store.getVersioned(`grant:${grant.id}`)).not.toBeNull()
    expect((await oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })).accessToken).toBe(
      'session-3',
    )
  })

  // Issue #21 finding 9: any 401 on refresh was client_rejected, so a user whose refresh token Workfront
  // refused with a bare 401 got "misconfigured" forever and was never asked to sign in again.
  it('reads a refresh answered 401 without a client error as "sign in again", and tells the operator', async () => {
    const logged: { level: string; details: unknown }[] = []
    const logger = {
      warn: (_: string, details: unknown) => logged.push({ level: 'warn', details }),
      error: (_: string, details: unknown) => logged.push({ level: 'error', details }),
    }
    const { oauth, endpoint } = setup({ logger })
    const { grant } = await signIn(oauth, endpoint)
    for (const body of ['', JSON.stringify({ error: 'invalid_grant' })]) {
      endpoint.push({ kind: 'status', status: 401, body })
      const error = await failure(oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' }))
      expect(error).toMatchObject({ code: 'reauthorization_required' })
    }
    expect(logged).toEqual([
      {
        level: 'warn',
        details: expect.objectContaining({
          code: 'refresh_rejected',
          grantType: 'refresh_token',
          status: 401,
        }),
      },
      {
        level: 'warn',
        details: expect.objectContaining({ status: 401, upstreamCode: 'invalid_grant' }),
      },
    ])
    // A 401 that names the client is still the app's fault: the grant is kept for when it is fixed.
    endpoint.push({ kind: 'status', status: 401, body: JSON.stringify({ error: 'invalid_client' }) })
    expect(await failure(oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' }))).toMatchObject(
      { code: 'client_rejected', status: 401 },
    )
    expect(logged[2]).toMatchObject({ level: 'error' })
  })

  it('treats a 5xx as an unexpected response, with no secret in the error', async () => {
    const { oauth, endpoint } = setup()
    const { state } = await oauth.startLogin()
    endpoint.push({ kind: 'status', status: 503, body: 'secret-1 leaked by a proxy' })
    const error = await failure(
      oauth.handleCallback(new URLSearchParams({ code: endpoint.issueCode(), state })),
    )
    expect(error.code).toBe('unexpected_response')
    expect(error.status).toBe(503)
    expect(`${error.message} ${error} ${JSON.stringify(error)}`).not.toContain('secret-1')
  })

  it('gives up on a token endpoint that does not answer, even when the port ignores aborts', async () => {
    const clock = createFakeClock()
    const { oauth, endpoint } = setup({ tokenTimeoutMs: 50, clock, store: memoryStore({ clock }) })
    const { state } = await oauth.startLogin()
    endpoint.push({ kind: 'hang' })
    const pending = failure(oauth.handleCallback(new URLSearchParams({ code: endpoint.issueCode(), state })))
    await clock.advanceAsync(50)
    expect((await pending).code).toBe('token_endpoint_unreachable')
  })

  it('reports a network failure as unreachable', async () => {
    const { oauth } = setup({
      http: async () => {
        throw new TypeError('fetch failed')
      },
    })
    const { state } = await oauth.startLogin()
    expect((await failure(oauth.handleCallback(new URLSearchParams({ code: 'c', state })))).code).toBe(
      'token_endpoint_unreachable',
    )
  })

  it('takes a transaction once: a replayed callback fails', async () => {
    const { oauth, endpoint } = setup()
    const { url, state } = await oauth.startLogin()
    expect(url).toContain(`state=${state}`)
    const params = new URLSearchParams({ code: endpoint.issueCode(), state })
    await oauth.handleCallback(params)
    expect((await failure(oauth.handleCallback(params))).code).toBe('state_mismatch')
    expect(endpoint.counters.code).toBe(1)
  })

  it('tells an expired login from an unknown one', async () => {
    const clock = createFakeClock()
    const { oauth, endpoint } = setup({ clock, store: memoryStore({ clock }) })
    const { state } = await oauth.startLogin()
    clock.advance(10 * 60_000 + 1)
    expect(
      (await failure(oauth.handleCallback(new URLSearchParams({ code: endpoint.issueCode(), state })))).code,
    ).toBe('state_expired')
    expect(endpoint.counters.code).toBe(0)
  })

  it('rejects duplicated callback parameters instead of picking one', async () => {
    const { oauth, endpoint } = setup()
    const { state } = await oauth.startLogin()
    const params = new URLSearchParams({ code: endpoint.issueCode(), state })
    params.append('code', 'other')
    expect((await failure(oauth.handleCallback(params))).code).toBe('invalid_callback')
  })

  it('validates its options', () => {
    expect(() => setup({ baseUrl: 'http://acme.my.workfront.com' })).toThrow(/https/)
    expect(() => setup({ baseUrl: 'https://acme.my.workfront.com/path' })).toThrow(/origin/)
    expect(() => setup({ redirectUri: 'https://app.example.com/cb?x=1' })).toThrow(/query/)
    expect(() => setup({ multiTenant: {} })).toThrow(/exactly one/)
    expect(() => setup({ apiVersion: '14' })).toThrow(/apiVersion/)
    expect(() => setup({ baseUrl: 'http://127.0.0.1:4010' })).not.toThrow()
  })
})

describe('refresh under concurrency', () => {
  it('200 concurrent callers on an expired grant cause exactly one token call', async () => {
    const clock = createFakeClock()
    const inner = memoryStore({ clock })
    let lockAttempts = 0
    const store: StoragePort = {
      ...inner,
      acquireLock: (key, options) => {
        lockAttempts++
        return inner.acquireLock(key, options)
      },
    }
    const { oauth, endpoint } = setup({ clock, store }, { expiresIn: 600 })
    const { grant } = await signIn(oauth, endpoint)
    clock.advance(600_000)
    const open = holdNextTokenRequest(endpoint)
    const all = Promise.all(Array.from({ length: 200 }, () => oauth.getAccessToken(grant.id)))
    // Every caller is in before Workfront answers.
    await clock.advanceAsync(0)
    open()
    const results = await all
    expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set(['session-3']))
    // Single-flight inside the process: the store's lock is asked for once, not 200 times.
    expect(lockAttempts).toBe(1)
    expect(endpoint.counters.refresh).toBe(1)
    expect(endpoint.counters.reuses).toBe(0)
  })

  it('coordinates instances that share a store: one refresh, no reuse of a rotated token', async () => {
    const clock = createFakeClock()
    const endpoint = createTokenEndpoint()
    const four = instances(4, memoryStore({ clock }), endpoint, { clock })
    const { grant } = await signIn(four[0] as WorkfrontOAuth, endpoint)
    const open = holdNextTokenRequest(endpoint)
    const all = Promise.all(
      four.flatMap((oauth) =>
        Array.from({ length: 50 }, () =>
          oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' }),
        ),
      ),
    )
    // Every caller is in (one holds the lock, the other instances wait for it) before Workfront answers.
    await clock.advanceAsync(0)
    open()
    const results = await all
    expect(new Set(results.map((r) => r.accessToken))).toEqual(new Set(['session-3']))
    expect(endpoint.counters.refresh).toBe(1)
    expect(endpoint.counters.reuses).toBe(0)
  })

  it('polls when the store has no wake-up channel', async () => {
    const clock = createFakeClock()
    const endpoint = createTokenEndpoint()
    const { waitForUnlock: _, ...polling } = memoryStore({ clock })
    const two = instances(2, polling, endpoint, { clock })
    const { grant } = await signIn(two[0] as WorkfrontOAuth, endpoint)
    const open = holdNextTokenRequest(endpoint)
    const all = Promise.all(
      two.map((oauth) => oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })),
    )
    await clock.advanceAsync(0)
    open()
    // The second instance polls (25 to 355 ms a round) until the first has stored the rotated token.
    await clock.advanceAsync(1_000)
    const results = await all
    expect(results.map((r) => r.accessToken)).toEqual(['session-3', 'session-3'])
    expect(endpoint.counters.refresh).toBe(1)
  })

  it('a holder whose lease ran out cannot overwrite the newer grant (fencing by version)', async () => {
    // Without rotation both refreshes succeed at Workfront, so only the version fence stops A's late answer
    // from replacing B's newer grant.
    const clock = createFakeClock()
    const endpoint = createTokenEndpoint({ rotation: false })
    const inner = memoryStore({ clock })
    // A cannot extend its lease: it runs out while A's token request is held at Workfront's door.
    const store: StoragePort = { ...inner, extendLock: async () => false }
    const [a, b] = instances(2, store, endpoint, { clock, lockLeaseMs: 50, refreshClaimMs: 100 }) as [
      WorkfrontOAuth,
      WorkfrontOAuth,
    ]
    const { grant } = await signIn(a, endpoint)
    const open = holdNextTokenRequest(endpoint)
    const first = a.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })
    await clock.advanceAsync(0)
    expect(tokenRequests(endpoint)).toHaveLength(2)
    // A's lease (50 ms) and its refresh claim (100 ms) run out: B takes A for dead, claims and refreshes.
    await clock.advanceAsync(100)
    const second = await b.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })
    expect(second.accessToken).toBe('session-3')
    // Now Workfront answers A (a new session, session-4); A's write is fenced by the version it claimed.
    open()
    expect((await first).accessToken).toBe('session-3')
    expect(endpoint.counters.refresh).toBe(2)
    const stored = JSON.parse((await store.getVersioned(`grant:${grant.id}`))?.value ?? '{}')
    expect(stored).toMatchObject({ accessToken: 'session-3' })
    expect(endpoint.activeRefreshTokens()).toContain(stored.refreshToken)
  })

  it('declares reauthorization after a rejected refresh, once storage confirms nothing changed', async () => {
    const { oauth, endpoint } = setup()
    const { grant } = await signIn(oauth, endpoint)
    endpoint.push({
      kind: 'status',
      status: 400,
      body: '{"statusCode":400,"error":true,"type":"INVALID_GRANT"}',
    })
    const error = await failure(oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' }))
    expect(error.code).toBe('reauthorization_required')
    // The grant is kept: a slower holder may still write a rotated token into it.
    expect(await oauth.getGrant(grant.id)).not.toBeNull()
  })

  it('reports a missing grant as grant_not_found', async () => {
    const { oauth } = setup()
    expect((await failure(oauth.getAccessToken('nope'))).code).toBe('grant_not_found')
  })

  it('reports a failing store as store_unavailable', async () => {
    const broken: StoragePort = {
      ...memoryStore(),
      getVersioned: async () => {
        throw new Error('ECONNREFUSED')
      },
    }
    const { oauth } = setup({ store: broken })
    expect((await failure(oauth.getAccessToken('g'))).code).toBe('store_unavailable')
  })
})

describe('Workfront API calls', () => {
  it('sends the session in the sessionID header to /attask/api/<version>/', async () => {
    const { oauth, endpoint } = setup({ apiVersion: 'v20.0' })
    const { grant } = await signIn(oauth, endpoint)
    const response = await oauth.fetch(grant.id, 'proj/search?fields=name')
    expect(await response.json()).toEqual({
      data: { path: '/attask/api/v20.0/proj/search', search: '?fields=name' },
    })
    const request = endpoint.requests.at(-1)
    expect(request?.headers.sessionid).toBe('session-2')
    expect(request?.url.startsWith(`${BASE}/attask/api/v20.0/`)).toBe(true)
  })

  it('refreshes and retries once when Workfront says the session expired (401)', async () => {
    const { oauth, endpoint } = setup()
    const { grant } = await signIn(oauth, endpoint)
    endpoint.sessions.clear()
    const response = await oauth.fetch(grant.id, 'proj/search', { method: 'POST', body: 'name=x' })
    expect(response.status).toBe(200)
    expect(endpoint.counters.refresh).toBe(1)
    const searches = endpoint.requests.filter((r) => r.url.includes('/proj/search'))
    expect(searches.map((r) => r.body)).toEqual(['name=x', 'name=x'])
  })

  it('recognizes an expired session reported with HTTP 200 and data.error', async () => {
    let first = true
    const endpoint = createTokenEndpoint()
    const http = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.includes('/attask/api/') && first) {
        first = false
        return Response.json({
          data: { error: { class: 'com.attask.common.AuthenticationException', message: 'x' } },
        })
      }
      return endpoint.fetch(input, init)
    }
    // No user read at sign-in: the first API call is the one under test.
    const { oauth } = setup({ http, user: false })
    const { grant } = await signIn(oauth, endpoint)
    const response = await oauth.fetch(grant.id, 'proj/search')
    expect(await response.json()).toMatchObject({ data: { path: '/attask/api/v21.0/proj/search' } })
    expect(endpoint.counters.refresh).toBe(1)
  })

  it('surfaces 429 with its Retry-After', async () => {
    const endpoint = createTokenEndpoint()
    const http = async (input: Request | string | URL, init?: RequestInit): Promise<Response> =>
      String(input instanceof Request ? input.url : input).includes('/attask/')
        ? new Response('{}', { status: 429, headers: { 'retry-after': '7' } })
        : endpoint.fetch(input, init)
    const { oauth } = setup({ http, user: false })
    const { grant } = await signIn(oauth, endpoint)
    const error = await failure(oauth.fetch(grant.id, 'proj/search'))
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfter: 7 })
  })

  it.each([
    'https://evil.com/x',
    '//evil.com/x',
    '../../x',
    'proj/../../x',
    'proj/%2e%2e/x',
    'a\\b',
    'javascript:x',
    '',
  ])('refuses the path %j', async (path) => {
    const { oauth, endpoint } = setup()
    const { grant } = await signIn(oauth, endpoint)
    const before = endpoint.requests.length
    expect((await failure(oauth.fetch(grant.id, path))).code).toBe('invalid_path')
    expect(endpoint.requests.length).toBe(before)
  })

  it('logs out: ends the Workfront session and deletes the grant', async () => {
    const { oauth, endpoint } = setup()
    const { grant } = await signIn(oauth, endpoint)
    expect(await oauth.logout(grant.id)).toEqual({ sessionEnded: true })
    expect(endpoint.sessions.has('session-2')).toBe(false)
    expect(await oauth.getGrant(grant.id)).toBeNull()
    expect(await oauth.logout(grant.id)).toEqual({ sessionEnded: false })
  })

  it('never exposes tokens or the secret through grant info or errors', async () => {
    const { oauth, endpoint } = setup()
    const { grant } = await signIn(oauth, endpoint)
    const info = JSON.stringify(await oauth.getGrant(grant.id))
    for (const secret of ['secret-1', 'session-2', 'refresh-2']) expect(info).not.toContain(secret)
  })
})

describe('browser binding', () => {
  it('a callback from another browser fails without using up the real sign-in', async () => {
    const { oauth, endpoint } = setup()
    const { state } = await oauth.startLogin({ browserBinding: 'nonce-of-the-user' })
    const params = new URLSearchParams({ code: endpoint.issueCode(), state })
    expect(
      (await failure(oauth.handleCallback(params, { browserBinding: 'nonce-of-someone-else' }))).code,
    ).toBe('browser_mismatch')
    expect((await failure(oauth.handleCallback(params))).code).toBe('browser_mismatch')
    const { grant } = await oauth.handleCallback(params, { browserBinding: 'nonce-of-the-user' })
    expect(grant.origin).toBe(BASE)
    expect((await failure(oauth.handleCallback(params, { browserBinding: 'nonce-of-the-user' }))).code).toBe(
      'state_mismatch',
    )
  })

  it('refuses a tenant on a fixed-tenant app as bad input (400), not a server error', async () => {
    const { oauth } = setup()
    expect((await failure(oauth.startLogin({ tenant: 'other' }))).code).toBe('invalid_tenant')
  })
})

describe('createWorkfrontClient', () => {
  it('reads who is signed in from GET session, and refuses an answer without a user', async () => {
    const endpoint = createTokenEndpoint()
    let userID: unknown = '5e0a0001'
    const http = async (input: Request | string | URL, init?: RequestInit): Promise<Response> => {
      const request = new Request(input, init)
      if (new URL(request.url).pathname === '/attask/api/v21.0/session') {
        return Response.json({ data: { userID, sessionID: request.headers.get('sessionid') } })
      }
      return endpoint.fetch(request)
    }
    const { oauth } = setup({ http })
    const { grant } = await signIn(oauth, endpoint)
    const client = createWorkfrontClient(oauth, grant.id)
    expect(await client.session()).toMatchObject({ userID: '5e0a0001' })
    userID = 42
    expect((await failure(client.session())).code).toBe('unexpected_response')
  })
})

describe('waiting for another refresh', () => {
  it('gives up with refresh_timeout when the lock never frees, even if the clock stands still', async () => {
    const clock = createFakeClock()
    const inner = memoryStore({ clock })
    // A store whose waiters wake at once (spuriously) while the lock stays held by a holder that never ends.
    const store: StoragePort = { ...inner, waitForUnlock: async () => {} }
    const { oauth, endpoint } = setup({ clock, store })
    const { grant } = await signIn(oauth, endpoint)
    await store.acquireLock(`grant:${grant.id}`, { owner: 'stuck-holder', leaseMs: 60_000 })
    const error = await failure(oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' }))
    expect(error.code).toBe('refresh_timeout')
    expect(endpoint.counters.refresh).toBe(0)
  })
})

describe('after a refresh', () => {
  it('answers callers still holding the replaced token without reading storage again', async () => {
    const inner = memoryStore()
    let reads = 0
    const store: StoragePort = {
      ...inner,
      getVersioned: (key) => {
        reads++
        return inner.getVersioned(key)
      },
    }
    const { oauth, endpoint } = setup({ store })
    const { grant } = await signIn(oauth, endpoint)
    const fresh = await oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })
    reads = 0
    // Late 401s for the old session, after the refresh finished: same answer, no storage round trip.
    const late = await Promise.all(
      Array.from({ length: 50 }, () => oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })),
    )
    expect(late.every((t) => t.accessToken === fresh.accessToken)).toBe(true)
    expect(reads).toBe(0)
    expect(endpoint.counters.refresh).toBe(1)
    // A rejection of the new token is a new refresh, and a sign-out forgets the shortcut.
    expect(
      (await oauth.getAccessToken(grant.id, { rejectedAccessToken: fresh.accessToken })).accessToken,
    ).not.toBe(fresh.accessToken)
    await oauth.logout(grant.id)
    expect(
      (await failure(oauth.getAccessToken(grant.id, { rejectedAccessToken: fresh.accessToken }))).code,
    ).toBe('grant_not_found')
  })
})

// Issue #12 finding 2: with rotation on, a failed write after a successful refresh lost the only copy of
// the new tokens, and the next request got reauthorization_required.
describe('rotated tokens when the store fails the write', () => {
  const quiet = { warn: () => undefined, error: () => undefined }

  /** Steps the fake clock 25 ms at a time until `done()`, within a bounded number of steps. */
  async function advanceUntil(clock: FakeClock, done: () => boolean): Promise<void> {
    for (let i = 0; i < 2_000 && !done(); i++) await clock.advanceAsync(25)
    if (!done()) throw new Error('condition not met after 2000 steps of the fake clock')
  }

  /**
   * Makes the next `n` writes fail from the moment Workfront receives the refresh: the refresh claim, written
   * before it, lands; the rotated tokens' write is the one that fails.
   */
  const failAnswerWrites = (
    endpoint: ReturnType<typeof createTokenEndpoint>,
    knobs: { failWrites: number },
    n: number,
  ): void =>
    endpoint.push({
      kind: 'onRequest',
      run: () => {
        knobs.failWrites = n
      },
    })

  const storedAccessToken = async (inner: StoragePort, grantId: string) =>
    JSON.parse((await inner.getVersioned(`grant:${grantId}`))?.value ?? '{}').accessToken

  it('serves the rotated token in this process, then writes it; another process gets it: 0 reuses, 0 re-authorizations', async () => {
    const { inner, store, knobs } = hiccupStore()
    const endpoint = createTokenEndpoint()
    const [a, b] = instances(2, store, endpoint, { logger: quiet }) as [WorkfrontOAuth, WorkfrontOAuth]
    const { grant } = await signIn(a, endpoint)
    expect(await storedAccessToken(inner, grant.id)).toBe('session-2')

    // Workfront rotates; every write of the result fails, past the request's own retries.
    failAnswerWrites(endpoint, knobs, 1_000)
    expect((await a.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })).accessToken).toBe(
      'session-3',
    )
    expect(await storedAccessToken(inner, grant.id)).toBe('session-2')
    // Same process, store still failing (reads too): served from the tokens it kept.
    knobs.failReads = true
    expect((await a.getAccessToken(grant.id)).accessToken).toBe('session-3')
    expect((await a.getGrant(grant.id))?.refreshCount).toBe(1)
    knobs.failReads = false
    // Another process sees the old session rejected meanwhile: it waits for the lock A still holds,
    // instead of refreshing with the dead refresh token.
    const fromB = b.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })

    knobs.failWrites = 0
    await eventually(async () => (await storedAccessToken(inner, grant.id)) === 'session-3')
    expect((await fromB).accessToken).toBe('session-3')
    expect((await b.getAccessToken(grant.id)).accessToken).toBe('session-3')
    // And refreshing goes on from the rotated token.
    expect((await b.getAccessToken(grant.id, { rejectedAccessToken: 'session-3' })).accessToken).toBe(
      'session-4',
    )
    expect(endpoint.counters).toMatchObject({ refresh: 2, reuses: 0 })
  })

  it('retries a write that fails a few times within the request: written at once, nothing held', async () => {
    const { inner, store, knobs } = hiccupStore()
    const logged: unknown[] = []
    const { oauth, endpoint } = setup({
      store,
      logger: { warn: (m) => logged.push(m), error: (m) => logged.push(m) },
    })
    const { grant } = await signIn(oauth, endpoint)
    failAnswerWrites(endpoint, knobs, 2)
    expect((await oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })).accessToken).toBe(
      'session-3',
    )
    expect(await storedAccessToken(inner, grant.id)).toBe('session-3')
    expect(logged).toEqual([])
  })

  it('pendingWrites(): null when nothing is held; else settles once the held tokens are written and the lock is free', async () => {
    const { inner, store, knobs } = hiccupStore()
    const clock = createFakeClock()
    const { oauth, endpoint } = setup({ store, clock, logger: quiet })
    const { grant } = await signIn(oauth, endpoint)
    expect(oauth.pendingWrites()).toBeNull()
    /** Whether another instance could take the grant's refresh lock now (a probe that gives it back). */
    const lockFree = async (): Promise<boolean> => {
      const taken = await inner.acquireLock(`grant:${grant.id}`, { owner: 'probe', leaseMs: 60_000 })
      if (taken) await inner.releaseLock(`grant:${grant.id}`, { owner: 'probe' })
      return taken
    }

    // Every write of the rotated tokens fails, past the request's own retries (which wait on the clock).
    failAnswerWrites(endpoint, knobs, 1_000)
    let answered = false
    const refreshed = oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' }).finally(() => {
      answered = true
    })
    await advanceUntil(clock, () => answered)
    expect((await refreshed).accessToken).toBe('session-3')

    const pending = oauth.pendingWrites()
    expect(pending).not.toBeNull()
    let settled = false
    void pending?.then(() => {
      settled = true
    })
    // Ten seconds of background attempts, all refused: still pending, the lock still held.
    await clock.advanceAsync(10_000)
    expect(settled).toBe(false)
    expect(await storedAccessToken(inner, grant.id)).toBe('session-2')
    expect(await lockFree()).toBe(false)

    knobs.failWrites = 0
    await advanceUntil(clock, () => settled)
    expect(await storedAccessToken(inner, grant.id)).toBe('session-3')
    expect(await lockFree()).toBe(true)
    expect(oauth.pendingWrites()).toBeNull()
  })

  it('lets a write that the store refuses for good (another version) go: the store is the truth', async () => {
    const { inner, store, knobs } = hiccupStore()
    const { oauth, endpoint } = setup({ store, logger: quiet })
    const { grant } = await signIn(oauth, endpoint)
    failAnswerWrites(endpoint, knobs, 1_000)
    await oauth.getAccessToken(grant.id, { rejectedAccessToken: 'session-2' })
    // Signed out elsewhere meanwhile: the held tokens are not written back.
    await inner.delete(`grant:${grant.id}`)
    knobs.failWrites = 0
    await eventually(async () => (await oauth.getGrant(grant.id)) === null)
    expect(await inner.getVersioned(`grant:${grant.id}`)).toBeNull()
  })
})
