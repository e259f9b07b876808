import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  defaultProjects,
  type WorkfrontMockOptions,
} from '@workfront-oauth/workfront-mock'
import { DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { fromBase64url } from './encoding.ts'
import { memoryStore } from './memory-store.ts'
import type { Clock } from './ports.ts'
import { createWorkfrontServerAuth, type WorkfrontServerAuthOptions } from './server.ts'

const NOW = Date.parse('2026-11-30T12:00:00Z')
const SECRET = DEMO_M2M_APP.clientSecrets[0] as string

interface Sent {
  url: string
  method: string
  headers: Record<string, string>
  body: string
  redirect: RequestRedirect | undefined
}

/** The mock behind a recording HTTP port, and a server auth over it; `skewMs` puts the app's clock off. */
function setup(
  overrides: Partial<WorkfrontServerAuthOptions> = {},
  mockOptions: WorkfrontMockOptions = {},
  skewMs = 0,
) {
  const mock = createWorkfrontMock({ clock: { now: () => NOW }, ...mockOptions })
  const sent: Sent[] = []
  const clock: Clock = { now: () => mock.clock.now() + skewMs }
  const store = memoryStore({ clock })
  const auth = createWorkfrontServerAuth({
    clientId: DEMO_M2M_APP.clientId,
    clientSecret: SECRET,
    customerId: DEMO_CUSTOMER_ID,
    userId: DEMO_USER.id,
    privateKey: DEMO_M2M_PRIVATE_KEY,
    baseUrl: `https://${mock.host}`,
    store,
    clock,
    http: async (input, init) => {
      const request = new Request(input, init)
      sent.push({
        url: request.url,
        method: request.method,
        headers: Object.fromEntries(request.headers),
        body: await request.clone().text(),
        redirect: init?.redirect,
      })
      return mock.fetch(request)
    },
    ...overrides,
  })
  const exchanges = () => sent.filter((s) => s.url.endsWith('/jwt/exchange'))
  return { mock, auth, sent, exchanges, store, clock }
}

const decode = (part: string): unknown =>
  JSON.parse(new TextDecoder().decode(fromBase64url(part) as Uint8Array))

describe('createWorkfrontServerAuth', () => {
  it('sends the exchange exactly as Workfront documents it, field by field', async () => {
    const { auth, exchanges } = setup()
    await auth.getAccessToken()
    const [request] = exchanges()
    expect(exchanges()).toHaveLength(1)
    expect(request?.url).toBe('https://acme.my.workfront.com/integrations/oauth2/api/v1/jwt/exchange')
    expect(request?.method).toBe('POST')
    expect(request?.redirect).toBe('manual')
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(request?.headers.authorization).toBeUndefined()
    const body = new URLSearchParams(request?.body)
    expect([...body.keys()]).toEqual(['client_id', 'client_secret', 'jwt_token'])
    expect(body.get('client_id')).toBe(DEMO_M2M_APP.clientId)
    expect(body.get('client_secret')).toBe(SECRET)
    const [header, payload, signature] = (body.get('jwt_token') as string).split('.')
    expect(decode(header as string)).toEqual({ alg: 'RS256', typ: 'JWT' })
    expect(decode(payload as string)).toEqual({
      iss: DEMO_CUSTOMER_ID,
      sub: DEMO_USER.id,
      iat: NOW / 1000,
      exp: NOW / 1000 + 300,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
    })
    expect(fromBase64url(signature as string)?.length).toBe(256)
  })

  it('calls the API with the session, keeps it in the store and reuses it', async () => {
    const { auth, mock, exchanges } = setup()
    const projects = await auth.client.search('proj', { limit: 5 })
    expect(projects.map((p) => p.name)).toEqual(
      defaultProjects()
        .slice(0, 5)
        .map((p) => p.name),
    )
    expect((await auth.client.session()).userID).toBe(DEMO_USER.id)
    expect(await auth.client.count('proj')).toBe(defaultProjects().length)
    expect(exchanges()).toHaveLength(1)
    expect(await auth.getSession()).toMatchObject({
      origin: 'https://acme.my.workfront.com',
      refreshCount: 1,
    })
    expect(mock.counters().jwtExchanges).toEqual({ calls: 1, succeeded: 1 })
  })

  it('renews an expired session once for 50 concurrent calls, and retries them', async () => {
    const { auth, mock, exchanges } = setup()
    await auth.getAccessToken()
    mock.expireAllSessions()
    const responses = await Promise.all(Array.from({ length: 50 }, () => auth.fetch('proj/count')))
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200))
    expect(exchanges()).toHaveLength(2)
    expect(mock.counters().apiCalls['401']).toBe(50)
  })

  it('callers that arrive together share one storage read', async () => {
    const inner = memoryStore()
    let reads = 0
    const store = {
      ...inner,
      getVersioned(key: string) {
        reads++
        return inner.getVersioned(key)
      },
    }
    const { auth, exchanges } = setup({ store })
    await auth.getAccessToken()
    reads = 0
    const tokens = await Promise.all(Array.from({ length: 200 }, () => auth.getAccessToken()))
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
    expect(reads).toBe(1)
    expect(exchanges()).toHaveLength(1)
  })

  it('a second instance on the same store uses the stored session', async () => {
    const first = setup()
    await first.auth.getAccessToken()
    const second = createWorkfrontServerAuth({
      clientId: DEMO_M2M_APP.clientId,
      clientSecret: SECRET,
      customerId: DEMO_CUSTOMER_ID,
      userId: DEMO_USER.id,
      privateKey: DEMO_M2M_PRIVATE_KEY,
      baseUrl: `https://${first.mock.host}`,
      store: first.store,
      clock: first.clock,
      http: () => Promise.reject(new Error('must not be called')),
    })
    expect(second.grantId).toBe(first.auth.grantId)
    expect((await second.getAccessToken()).accessToken).toBe((await first.auth.getAccessToken()).accessToken)
  })

  it('renews before a known expiry, so Workfront never has to refuse the session', async () => {
    const { auth, mock, exchanges } = setup({}, { expiresIn: 3600 })
    const first = await auth.getAccessToken()
    expect(await auth.getSession()).toMatchObject({ expiresAt: NOW + 3_600_000 })
    mock.clock.advance(3_600_000 - 61_000)
    expect((await auth.getAccessToken()).accessToken).toBe(first.accessToken)
    mock.clock.advance(2_000) // within the default 60 s of the expiry
    const renewed = await auth.getAccessToken()
    expect(renewed.accessToken).not.toBe(first.accessToken)
    expect((await auth.fetch('session')).status).toBe(200)
    expect(exchanges()).toHaveLength(2)
    expect(mock.counters().apiCalls['401']).toBeUndefined()
  })

  // Issue #21 finding 9: with the default 60 s skew, a 30 s session counted as expired when it was made.
  it('a session shorter than the skew is used until its last quarter: 5 quick calls, 1 exchange', async () => {
    const { auth, mock, exchanges } = setup({}, { expiresIn: 30 })
    for (let call = 0; call < 5; call++) {
      expect((await auth.fetch('session')).status).toBe(200)
      mock.clock.advance(1_000)
    }
    expect(exchanges()).toHaveLength(1)
    mock.clock.advance(18_000) // 23 s in: within the last 7.5 s
    expect((await auth.fetch('session')).status).toBe(200)
    expect(exchanges()).toHaveLength(2)
    expect(mock.counters().apiCalls['401']).toBeUndefined()
  })

  it('logout ends the Workfront session and deletes the stored one; nothing else is revoked', async () => {
    const { auth, mock } = setup()
    const { accessToken } = await auth.getAccessToken()
    expect(await auth.logout()).toEqual({ sessionEnded: true })
    expect(await auth.getSession()).toBeNull()
    const check = await mock.fetch(
      new Request(`https://${mock.host}/attask/api/v21.0/session`, { headers: { sessionID: accessToken } }),
    )
    expect(check.status).toBe(401)
    expect(await auth.logout()).toEqual({ sessionEnded: false })
    // The job can go on: the next call makes a new session.
    expect((await auth.fetch('session')).status).toBe(200)
  })

  it('sends nothing anywhere but the configured org', async () => {
    const { auth, sent, mock } = setup()
    await auth.client.search('proj')
    mock.expireAllSessions()
    await auth.client.search('proj')
    await auth.logout()
    expect(sent.length).toBeGreaterThan(4)
    for (const request of sent) expect(new URL(request.url).origin).toBe('https://acme.my.workfront.com')
  })
})

describe('createWorkfrontServerAuth: what goes wrong, as typed errors', () => {
  async function failure(run: () => Promise<unknown>): Promise<Record<string, unknown>> {
    const error = await run().then(
      () => {
        throw new Error('expected a failure')
      },
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ name: 'WorkfrontOAuthError' })
    for (const text of [(error as Error).message, JSON.stringify(error), String(error)]) {
      expect(text).not.toContain(SECRET)
      expect(text).not.toContain('PRIVATE KEY')
    }
    return error as Record<string, unknown>
  }

  it('a wrong secret → client_rejected, and the operator is told (without the secret)', async () => {
    const told: unknown[] = []
    const logger = { warn: () => {}, error: (...args: unknown[]) => told.push(args) }
    const { auth } = setup({ clientSecret: 'not-the-secret', logger })
    expect(await failure(() => auth.getAccessToken())).toMatchObject({
      code: 'client_rejected',
      status: 401,
      upstreamCode: 'INVALID_CLIENT',
    })
    expect(told).toHaveLength(1)
    expect(JSON.stringify(told)).toContain(DEMO_M2M_APP.clientId)
    expect(JSON.stringify(told)).not.toContain('not-the-secret')
  })

  it.each([
    ['a wrong customer ID (iss)', { customerId: 'another-customer' }, 400, 'INVALID_GRANT'],
    ['a wrong user ID (sub)', { userId: 'another-user' }, 400, 'INVALID_GRANT'],
  ])('%s → jwt_rejected', async (_, overrides, status, upstreamCode) => {
    const { auth } = setup(overrides)
    expect(await failure(() => auth.getAccessToken())).toMatchObject({
      code: 'jwt_rejected',
      status,
      upstreamCode,
    })
  })

  it('a key Workfront does not know → jwt_rejected', async () => {
    const pair = await crypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
      },
      false,
      ['sign', 'verify'],
    )
    const { auth } = setup({ privateKey: pair.privateKey })
    expect(await failure(() => auth.getAccessToken())).toMatchObject({ code: 'jwt_rejected', status: 400 })
  })

  it('a bad key → invalid_private_key, before anything is sent', async () => {
    const body = DEMO_M2M_PRIVATE_KEY.split('\n').slice(1, -2).join('\n')
    const { auth, sent } = setup({
      privateKey: `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`,
    })
    expect(await failure(() => auth.getAccessToken())).toMatchObject({ code: 'invalid_private_key' })
    expect(await failure(() => auth.fetch('session'))).toMatchObject({ code: 'invalid_private_key' })
    expect(sent).toEqual([])
  })

  it.each([
    ['behind by more than the JWT lifetime: it has expired at Workfront', -301_000],
    ['ahead by more than Workfront takes: it expires too far ahead', 3_600_000],
  ])('a clock %s → jwt_rejected', async (_, skewMs) => {
    const { auth } = setup({}, {}, skewMs)
    expect(await failure(() => auth.getAccessToken())).toMatchObject({
      code: 'jwt_rejected',
      status: 400,
      upstreamCode: 'INVALID_GRANT',
    })
  })

  it('a short JWT lifetime tolerates a smaller skew', async () => {
    const { auth } = setup({ jwtLifetimeSeconds: 60 }, {}, -30_000)
    await expect(auth.getAccessToken()).resolves.toMatchObject({ tokenType: 'sessionID' })
  })

  it('an exchange that fails at Workfront (500, reset) is unexpected_response / token_endpoint_unreachable', async () => {
    const { auth, mock } = setup()
    mock.injectFailure({ endpoint: 'jwt', kind: 'status500' })
    expect(await failure(() => auth.getAccessToken())).toMatchObject({
      code: 'unexpected_response',
      status: 500,
    })
    mock.injectFailure({ endpoint: 'jwt', kind: 'reset' })
    expect(await failure(() => auth.getAccessToken())).toMatchObject({ code: 'token_endpoint_unreachable' })
    await expect(auth.getAccessToken()).resolves.toBeDefined()
  })

  it('refuses options that cannot work', () => {
    const valid: WorkfrontServerAuthOptions = {
      clientId: 'c',
      clientSecret: 's',
      customerId: 'i',
      userId: 'u',
      privateKey: DEMO_M2M_PRIVATE_KEY,
      baseUrl: 'https://acme.my.workfront.com',
      store: memoryStore(),
    }
    for (const bad of [
      { clientId: '' },
      { clientSecret: '' },
      { customerId: '' },
      { userId: '' },
      { privateKey: '' },
      { baseUrl: 'http://acme.my.workfront.com' },
      { baseUrl: 'https://acme.my.workfront.com/path' },
      { jwtLifetimeSeconds: 0 },
      { jwtLifetimeSeconds: 7200 },
      { apiVersion: 'latest' },
    ]) {
      expect(() => createWorkfrontServerAuth({ ...valid, ...bad }), JSON.stringify(bad)).toThrow(
        expect.objectContaining({ code: 'invalid_options' }),
      )
    }
  })
})
