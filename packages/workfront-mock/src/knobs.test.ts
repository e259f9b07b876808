import { afterEach, describe, expect, it, vi } from 'vitest'
import { createWorkfrontMock, isMockConnectionReset } from './index'
import {
  apiRequest,
  exchangeCode,
  frozenClock,
  HOST,
  obtainCode,
  refreshRequest,
  sessionStatus,
  tokensFor,
  WEB,
} from './test-support'
import type { MockFailure, TokenResponse } from './types'

function admin(path: string, body?: unknown, contentType = 'application/json'): Request {
  if (body === undefined) return new Request(`${HOST}${path}`)
  return new Request(`${HOST}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: JSON.stringify(body),
  })
}

describe('clock', () => {
  it('advances and jumps over a base clock', () => {
    let base = 1_000
    const mock = createWorkfrontMock({ clock: { now: () => base } })
    expect(mock.clock.now()).toBe(1_000)
    mock.clock.advance(500)
    expect(mock.clock.now()).toBe(1_500)
    base = 2_000
    expect(mock.clock.now()).toBe(2_500)
    mock.clock.set(10_000)
    expect(mock.clock.now()).toBe(10_000)
    expect(() => mock.clock.advance(-1)).toThrow(RangeError)
    expect(() => mock.clock.advance(Number.NaN)).toThrow(RangeError)
  })

  it('starts at the real time by default', () => {
    const before = Date.now()
    const now = createWorkfrontMock().clock.now()
    expect(now).toBeGreaterThanOrEqual(before)
    expect(now).toBeLessThanOrEqual(Date.now())
  })
})

describe('failure injection', () => {
  it('status500 on the token endpoint fails without applying, `times` times, in the chosen shape', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    mock.injectFailure({ endpoint: 'token', kind: 'status500', times: 2 })
    for (let i = 0; i < 2; i++) {
      const response = await exchangeCode(mock, code)
      expect(response.status).toBe(500)
      expect(await response.json()).toEqual({
        statusCode: 500,
        error: true,
        type: 'SERVER_ERROR',
        message: 'Injected failure.',
      })
    }
    expect((await exchangeCode(mock, code)).status).toBe(200)
    expect(mock.counters().tokenCalls.authorization_code).toBe(3)
    expect(mock.counters().codeReuses).toBe(0)

    const rfc = createWorkfrontMock({ errorShape: 'rfc6749' })
    rfc.injectFailure({ endpoint: 'token', kind: 'status500' })
    expect(await (await rfc.fetch(refreshRequest('x'))).json()).toMatchObject({ error: 'server_error' })
  })

  it('filters token failures by grant type', async () => {
    const mock = createWorkfrontMock()
    mock.injectFailure({ endpoint: 'token', kind: 'status500', grantType: 'refresh_token' })
    const tokens = await tokensFor(mock)
    expect((await mock.fetch(refreshRequest(tokens.refresh_token))).status).toBe(500)
    expect((await mock.fetch(refreshRequest(tokens.refresh_token))).status).toBe(200)
  })

  it('reset rejects the in-process fetch like a dropped connection, without applying', async () => {
    const mock = createWorkfrontMock()
    const code = await obtainCode(mock)
    mock.injectFailure({ endpoint: 'token', kind: 'reset' })
    const error = await exchangeCode(mock, code).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
    expect((error as { cause: { code: string } }).cause.code).toBe('ECONNRESET')
    expect(isMockConnectionReset(error)).toBe(true)
    expect(isMockConnectionReset(new TypeError('fetch failed'))).toBe(false)
    // Also through Hono's app.request().
    mock.injectFailure({ endpoint: 'token', kind: 'reset' })
    await expect(mock.app.request('/integrations/oauth2/api/v1/token', { method: 'POST' })).rejects.toThrow(
      TypeError,
    )
    expect((await exchangeCode(mock, code)).status).toBe(200)
  })

  it('dropAfterRotate applies the refresh, then drops the response', async () => {
    const mock = createWorkfrontMock()
    const tokens = await tokensFor(mock)
    mock.injectFailure({ endpoint: 'token', kind: 'dropAfterRotate' })
    // The code grant is not a rotation: the armed failure waits for a refresh.
    const other = await tokensFor(mock)
    expect(other.access_token).toBeTruthy()
    await expect(mock.fetch(refreshRequest(tokens.refresh_token))).rejects.toThrow(TypeError)
    // The old refresh token was disabled by the lost rotation: its reuse is counted.
    const retry = await mock.fetch(refreshRequest(tokens.refresh_token))
    expect(retry.status).toBe(400)
    expect(mock.counters().refreshReuses).toBe(1)
    expect(mock.counters().tokenCalls.refresh_token).toBe(2)
  })

  it('dropAfterRotate waits for a successful refresh', async () => {
    const mock = createWorkfrontMock()
    const tokens = await tokensFor(mock)
    mock.injectFailure({ endpoint: 'token', kind: 'dropAfterRotate' })
    expect((await mock.fetch(refreshRequest('unknown'))).status).toBe(400)
    await expect(mock.fetch(refreshRequest(tokens.refresh_token))).rejects.toThrow(TypeError)
  })

  it('fails API requests with 500 or a reset', async () => {
    const mock = createWorkfrontMock()
    const { access_token } = await tokensFor(mock)
    mock.injectFailure({ endpoint: 'api', kind: 'status500' })
    const failed = await mock.fetch(apiRequest('v21.0/session', access_token))
    expect(failed.status).toBe(500)
    expect(await failed.json()).toMatchObject({
      error: { class: expect.any(String), message: 'Injected failure' },
    })
    mock.injectFailure({ endpoint: 'api', kind: 'reset' })
    await expect(mock.fetch(apiRequest('v21.0/session', access_token))).rejects.toThrow(TypeError)
    expect(await sessionStatus(mock, access_token)).toBe(200)
    expect(mock.counters().apiCalls).toEqual({ '500': 1, '200': 1 })
  })

  it('refuses impossible failures', () => {
    const mock = createWorkfrontMock()
    const bad: MockFailure[] = [
      { endpoint: 'api', kind: 'dropAfterRotate' },
      { endpoint: 'api', kind: 'status500', grantType: 'refresh_token' },
      { endpoint: 'token', kind: 'status500', times: 0 },
      { endpoint: 'token', kind: 'status500', times: 1.5 },
      { endpoint: 'authorize' as 'token', kind: 'status500' },
      { endpoint: 'token', kind: 'timeout' as 'reset' },
    ]
    for (const failure of bad) expect(() => mock.injectFailure(failure)).toThrow()
  })
})

describe('latency', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('delays each endpoint by its own latency', async () => {
    vi.useFakeTimers()
    const mock = createWorkfrontMock({ autoConsent: { username: 'demo@acme.test' } })
    mock.setLatency({ token: 300, api: 200, authorize: 100 })

    const settled = async <T>(promise: Promise<T>, ms: number): Promise<T> => {
      let done = false
      const tracked = promise.finally(() => {
        done = true
      })
      await vi.advanceTimersByTimeAsync(ms - 1)
      expect(done).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect(done).toBe(true)
      return tracked
    }

    const authorize = await settled(
      mock.fetch(
        new Request(
          `${HOST}/integrations/oauth2/authorize?${new URLSearchParams({
            client_id: WEB.clientId,
            redirect_uri: WEB.redirectUri,
            response_type: 'code',
          })}`,
        ),
      ),
      100,
    )
    const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!
    const token = await settled(exchangeCode(mock, code), 300)
    const { access_token } = (await token.json()) as TokenResponse
    const session = await settled(mock.fetch(apiRequest('v21.0/session', access_token)), 200)
    expect(session.status).toBe(200)
  })

  it('refuses negative latency', () => {
    expect(() => createWorkfrontMock().setLatency({ api: -1 })).toThrow(RangeError)
  })
})

describe('counters, issueGrant, reset', () => {
  it('counts token calls by grant type and API calls by status', async () => {
    const mock = createWorkfrontMock()
    const tokens = await tokensFor(mock)
    await mock.fetch(refreshRequest(tokens.refresh_token))
    await mock.fetch(new Request(`${HOST}/integrations/oauth2/api/v1/token`))
    await mock.fetch(apiRequest('v21.0/session'))
    await mock.fetch(apiRequest('v14.0/session'))
    expect(mock.counters()).toEqual({
      tokenCalls: { authorization_code: 1, refresh_token: 1, other: 1 },
      jwtExchanges: { calls: 0, succeeded: 0 },
      refreshReuses: 0,
      codeReuses: 0,
      apiCalls: { '401': 1, '410': 1 },
    })
    // A snapshot, not a live view.
    const snapshot = mock.counters()
    snapshot.tokenCalls.other = 99
    expect(mock.counters().tokenCalls.other).toBe(1)
    mock.resetCounters()
    expect(mock.counters()).toEqual({
      tokenCalls: { authorization_code: 0, refresh_token: 0, other: 0 },
      jwtExchanges: { calls: 0, succeeded: 0 },
      refreshReuses: 0,
      codeReuses: 0,
      apiCalls: {},
    })
  })

  it('issueGrant returns tokens as if the code flow had completed', async () => {
    const mock = createWorkfrontMock()
    const tokens = mock.issueGrant({ clientId: WEB.clientId, username: 'alex@acme.test' })
    expect(Object.keys(tokens)).toEqual(['token_type', 'access_token', 'refresh_token', 'expires_in', 'wid'])
    const session = await mock.fetch(apiRequest('v21.0/session', tokens.access_token))
    expect(await session.json()).toMatchObject({ data: { username: 'alex@acme.test' } })
    expect((await mock.fetch(refreshRequest(tokens.refresh_token))).status).toBe(200)
    expect(mock.counters().tokenCalls.authorization_code).toBe(0)
    expect(() => mock.issueGrant({ clientId: 'nobody', username: 'alex@acme.test' })).toThrow(
      /unknown client/,
    )
    expect(() => mock.issueGrant({ clientId: WEB.clientId, username: 'ghost' })).toThrow(/unknown user/)
  })

  it('updateUser renames a user and changes their email address; sessions stay; reset undoes it', async () => {
    const users = [{ id: 'u-1', username: 'kim', password: 'pw', name: 'Kim Old', email: 'kim@old.test' }]
    const mock = createWorkfrontMock({ users })
    const tokens = mock.issueGrant({ clientId: WEB.clientId, username: 'kim' })
    const read = async (path: string) =>
      (await (await mock.fetch(apiRequest(`v21.0/${path}`, tokens.access_token))).json()) as {
        data: unknown
      }
    mock.updateUser({ username: 'kim', name: 'Kim New' })
    expect(await read('user/u-1?fields=name,username,emailAddr')).toEqual({
      data: { ID: 'u-1', name: 'Kim New', objCode: 'USER', username: 'kim', emailAddr: 'kim@old.test' },
    })
    mock.updateUser({ username: 'kim', email: 'kim@new.test' })
    expect(await read('user/search?fields=emailAddr')).toMatchObject({
      data: [{ name: 'Kim New', emailAddr: 'kim@new.test' }],
    })
    expect(await read('session')).toEqual({ data: { userID: 'u-1', username: 'kim' } })
    // The caller's objects are the mock's configuration, not its state.
    expect(users[0]).toMatchObject({ name: 'Kim Old', email: 'kim@old.test' })
    expect(() => mock.updateUser({ username: 'ghost', name: 'x' })).toThrow(/unknown user/)
    expect(() => mock.updateUser({ username: 'kim', name: ' ' })).toThrow(TypeError)
    mock.reset()
    const again = mock.issueGrant({ clientId: WEB.clientId, username: 'kim' })
    const after = await mock.fetch(apiRequest('v21.0/user/u-1?fields=emailAddr', again.access_token))
    expect(await after.json()).toMatchObject({ data: { name: 'Kim Old', emailAddr: 'kim@old.test' } })
  })

  it('reset forgets every grant, knob and counter, and the clock offset', async () => {
    const mock = createWorkfrontMock({ clock: frozenClock(5_000) })
    const tokens = await tokensFor(mock)
    mock.clock.advance(1_000)
    mock.injectFailure({ endpoint: 'api', kind: 'status500' })
    mock.setLatency({ api: 10_000 })
    mock.reset()
    expect(mock.clock.now()).toBe(5_000)
    expect(mock.counters().tokenCalls.authorization_code).toBe(0)
    // No latency, no armed failure: a plain 401 at once.
    expect(await sessionStatus(mock, tokens.access_token)).toBe(401)
    expect((await mock.fetch(refreshRequest(tokens.refresh_token))).status).toBe(400)
  })
})

describe('admin routes', () => {
  it('are absent unless enabled', async () => {
    const mock = createWorkfrontMock()
    expect((await mock.fetch(admin('/__mock/counters'))).status).toBe(404)
    expect((await mock.fetch(admin('/__mock/clock/advance', { ms: 1 }))).status).toBe(404)
    expect((await mock.fetch(admin('/__mock/sessions/expire', {}))).status).toBe(404)
  })

  it('turn every knob over HTTP', async () => {
    const mock = createWorkfrontMock({ admin: { enabled: true }, clock: frozenClock(1_000) })
    const call = async (path: string, body?: unknown) => {
      const response = await mock.fetch(admin(path, body))
      expect(response.status).toBe(200)
      return (await response.json()) as Record<string, unknown>
    }
    expect(await call('/__mock/clock')).toEqual({ now: 1_000 })
    expect(await call('/__mock/clock/advance', { ms: 500 })).toEqual({ now: 1_500 })
    expect(await call('/__mock/clock/set', { ms: 9_000 })).toEqual({ now: 9_000 })
    expect(mock.clock.now()).toBe(9_000)

    const granted = (await call('/__mock/grants', {
      clientId: WEB.clientId,
      username: 'demo@acme.test',
    })) as unknown as TokenResponse
    expect(await sessionStatus(mock, granted.access_token)).toBe(200)
    expect(await call('/__mock/sessions/expire', {})).toEqual({ ok: true })
    expect(await sessionStatus(mock, granted.access_token)).toBe(401)

    await call('/__mock/failures', { endpoint: 'token', kind: 'status500' })
    expect((await mock.fetch(refreshRequest(granted.refresh_token))).status).toBe(500)

    expect(await call('/__mock/counters')).toMatchObject({
      tokenCalls: { refresh_token: 1 },
      apiCalls: { '200': 1, '401': 1 },
    })
    await call('/__mock/counters/reset', {})
    expect(mock.counters().apiCalls).toEqual({})

    expect(await call('/__mock/users', { username: 'demo@acme.test', name: 'Dana Renamed' })).toEqual({
      ok: true,
    })
    const fresh = mock.issueGrant({ clientId: WEB.clientId, username: 'demo@acme.test' })
    const session = (await (await mock.fetch(apiRequest('v21.0/session', fresh.access_token))).json()) as {
      data: { userID: string }
    }
    const renamed = await mock.fetch(apiRequest(`v21.0/user/${session.data.userID}`, fresh.access_token))
    expect(await renamed.json()).toMatchObject({ data: { name: 'Dana Renamed' } })

    await call('/__mock/latency', { api: 0, token: 0 })
    await call('/__mock/reset', {})
    expect((await mock.fetch(refreshRequest(granted.refresh_token))).status).toBe(400)
  })

  it('apply latency over HTTP', async () => {
    vi.useFakeTimers()
    try {
      const mock = createWorkfrontMock({ admin: { enabled: true } })
      expect((await mock.fetch(admin('/__mock/latency', { api: 50 }))).status).toBe(200)
      let done = false
      const pending = mock.fetch(apiRequest('v21.0/session')).finally(() => {
        done = true
      })
      await vi.advanceTimersByTimeAsync(49)
      expect(done).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      expect((await pending).status).toBe(401)
    } finally {
      vi.useRealTimers()
    }
  })

  it('validate input, require JSON and honour a custom path', async () => {
    const mock = createWorkfrontMock({ admin: { enabled: true, path: '/_knobs' } })
    expect((await mock.fetch(admin('/__mock/counters'))).status).toBe(404)
    expect((await mock.fetch(admin('/_knobs/counters'))).status).toBe(200)
    const cases: Array<[unknown, string, number]> = [
      [{ ms: 'soon' }, '/_knobs/clock/advance', 400],
      [{ ms: -5 }, '/_knobs/clock/advance', 400],
      [{ endpoint: 'api', kind: 'dropAfterRotate' }, '/_knobs/failures', 400],
      [{ api: 'slow' }, '/_knobs/latency', 400],
      [[1, 2], '/_knobs/latency', 400],
      [{ clientId: WEB.clientId, username: 'ghost' }, '/_knobs/grants', 400],
      [{ username: 'ghost', name: 'x' }, '/_knobs/users', 400],
      [{ username: 'demo@acme.test', name: 7 }, '/_knobs/users', 400],
    ]
    for (const [body, path, status] of cases) {
      const response = await mock.fetch(admin(path, body))
      expect(response.status).toBe(status)
      expect(await response.json()).toMatchObject({ error: expect.any(String) })
    }
    const notJSON = await mock.fetch(
      new Request(`${HOST}/_knobs/clock/advance`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{',
      }),
    )
    expect(notJSON.status).toBe(400)
    // A cross-site form post cannot send application/json without a preflight.
    const formPost = await mock.fetch(
      admin('/_knobs/sessions/expire', {}, 'application/x-www-form-urlencoded'),
    )
    expect(formPost.status).toBe(415)
    expect(() => createWorkfrontMock({ admin: { enabled: true, path: '/trailing/' } })).toThrow(TypeError)
  })
})

describe('options', () => {
  it('refuse an invalid configuration at creation', () => {
    const web = {
      clientId: 'c',
      clientSecrets: ['s'],
      redirectUris: ['https://a.example/cb'],
      type: 'web' as const,
    }
    const invalid: Array<Parameters<typeof createWorkfrontMock>[0]> = [
      { domain: 'acme.evil' },
      { lane: 'My' },
      { apps: [{ ...web, clientSecrets: [] }] },
      { apps: [{ ...web, type: 'spa' }] },
      { apps: [{ ...web, redirectUris: [] }] },
      { apps: [{ ...web, redirectUris: ['/relative'] }] },
      { apps: [{ ...web, redirectUris: ['https://a.example/cb#frag'] }] },
      { apps: [web, web] },
      { apps: [{ ...web, refreshTokenIdleTtlMs: 0 }] },
      { apiVersions: ['21'] },
      { apiVersions: [] },
      { expiresIn: -1 },
      { maxConcurrentApiRequests: 0 },
      {
        users: [
          { id: '1', username: 'a', password: 'p', name: 'A', email: 'a@x' },
          { id: '1', username: 'b', password: 'p', name: 'B', email: 'b@x' },
        ],
      },
    ]
    for (const options of invalid) expect(() => createWorkfrontMock(options)).toThrow()
  })
})
