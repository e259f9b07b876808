import { describe, expect, it } from 'vitest'
import { cryptoRandom } from '../defaults.ts'
import type { HTTPClient } from '../ports.ts'
import { failure } from '../test/failure.ts'
import { createFakeClock } from '../testing.ts'
import type { AccessToken } from './access-tokens.ts'
import type { APICalls } from './api-calls.ts'
import { apiURL, createAPICalls, sessionRejected } from './api-calls.ts'

const BASE = 'https://acme.my.workfront.com'

/**
 * A Workfront API that accepts one session at a time (`current`), and a token source that rotates to the
 * next session when told the current one was rejected — the two sides `fetch` talks to.
 */
function harness(answer?: (request: Request, accepted: boolean) => Response | Promise<Response>) {
  const clock = createFakeClock()
  const sessions = { current: 'session-1', serial: 1, refreshes: 0 }
  const requests: Request[] = []
  const http: HTTPClient = async (input, init) => {
    const request = new Request(input, init)
    requests.push(request.clone())
    const accepted = request.headers.get('sessionid') === sessions.current
    if (answer) return answer(request, accepted)
    return accepted
      ? Response.json({ data: { path: new URL(request.url).pathname } })
      : Response.json({ error: { class: 'com.attask.common.AuthenticationException' } }, { status: 401 })
  }
  let handed = 'session-1'
  const api: APICalls = createAPICalls({
    http,
    apiVersion: 'v21.0',
    timeoutMs: 5_000,
    clock,
    random: cryptoRandom,
    async accessToken(grantId, options = {}) {
      if (options.rejectedAccessToken === handed) {
        sessions.refreshes++
        handed = sessions.current
      }
      return { grantId, origin: BASE, accessToken: handed, tokenType: 'sessionID' } satisfies AccessToken
    },
  })
  const rotate = (): void => {
    sessions.current = `session-${++sessions.serial}`
  }
  return { clock, sessions, requests, api, rotate }
}

describe('apiURL', () => {
  it.each([
    ['proj/search?fields=name', `${BASE}/attask/api/v21.0/proj/search?fields=name`],
    ['/session', `${BASE}/attask/api/v21.0/session`],
    ['task/abc/x?q=..%2f', `${BASE}/attask/api/v21.0/task/abc/x?q=..%2f`],
  ])('puts %j under the versioned API root', (path, url) => {
    expect(apiURL(BASE, 'v21.0', path)).toBe(url)
  })

  it.each([
    'https://evil.com/x',
    '//evil.com/x',
    '../../x',
    'proj/../../x',
    'proj/./x',
    'proj/%2e%2e/x',
    'proj/%2F/x',
    'a\\b',
    'javascript:x',
    'proj\r\nx: y',
    '',
  ])('refuses %j', (path) => {
    expect(() => apiURL(BASE, 'v21.0', path)).toThrow(expect.objectContaining({ code: 'invalid_path' }))
  })
})

describe('sessionRejected', () => {
  const json = (body: unknown, status = 200): Response => Response.json(body, { status })
  it.each([
    ['a 401', new Response('', { status: 401 }), true],
    ['an error envelope', json({ error: { class: 'com.attask.common.AuthenticationException' } }), true],
    ['a data.error envelope', json({ data: { error: { class: 'x.AuthenticationException' } } }), true],
    ['another error class', json({ error: { class: 'com.attask.common.NotFoundException' } }), false],
    ['data', json({ data: { error: 'not an envelope' } }), false],
    ['a 200 that is not JSON', new Response('{"error":{"class":"AuthenticationException"}}'), false],
    ['a 403', json({ error: { class: 'AuthenticationException' } }, 403), false],
    ['broken JSON', new Response('{"error": {', { headers: { 'content-type': 'application/json' } }), false],
  ])('%s → %s', async (_, response, rejected) => {
    const checked = await sessionRejected(response)
    expect(checked.rejected).toBe(rejected)
    // The response handed on can still be read.
    await checked.response.text()
  })

  it('hands on the body it had to read', async () => {
    const { response } = await sessionRejected(Response.json({ data: [1, 2] }))
    expect(await response.json()).toEqual({ data: [1, 2] })
  })
})

describe('API calls', () => {
  it('sends the session in the sessionID header and asks for JSON', async () => {
    const h = harness()
    const response = await h.api.fetch('g', 'proj/search')
    expect(await response.json()).toEqual({ data: { path: '/attask/api/v21.0/proj/search' } })
    expect(h.requests[0]?.headers.get('sessionid')).toBe('session-1')
    expect(h.requests[0]?.headers.get('accept')).toBe('application/json')
  })

  it('on a rejected session, gets a fresh token and retries once with the same body', async () => {
    const h = harness()
    h.rotate()
    const response = await h.api.fetch('g', 'proj', { method: 'POST', body: 'name=x' })
    expect(response.status).toBe(200)
    expect(h.sessions.refreshes).toBe(1)
    expect(h.requests.map((r) => r.headers.get('sessionid'))).toEqual(['session-1', 'session-2'])
    expect(await h.requests[1]?.text()).toBe('name=x')
  })

  it('retries only once: a second rejection is handed to the caller', async () => {
    const h = harness((_, __) => new Response('', { status: 401 }))
    const response = await h.api.fetch('g', 'proj')
    expect(response.status).toBe(401)
    expect(h.requests.length).toBe(2)
  })

  it('does not retry a streamed body, which cannot be sent twice', async () => {
    const h = harness()
    h.rotate()
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('x'))
        controller.close()
      },
    })
    const response = await h.api.fetch('g', 'proj', { method: 'POST', body, duplex: 'half' } as RequestInit)
    expect(response.status).toBe(401)
    expect(h.requests.length).toBe(1)
  })

  it('turns 429 into rate_limited with Retry-After in seconds, dates read against the clock', async () => {
    const h = harness(
      () =>
        new Response('{}', {
          status: 429,
          headers: { 'retry-after': new Date(h.clock.now() + 30_000).toUTCString() },
        }),
    )
    const error = await failure(h.api.fetch('g', 'proj'))
    expect(error).toMatchObject({ code: 'rate_limited', status: 429, retryAfter: 30 })
  })

  // Issue #21 finding 8: a Retry-After of days (or of 10^22 seconds) was passed on as it came.
  it.each([
    ['a huge number of seconds', () => '99999999999999999999999'],
    ['a date a year ahead', (now: number) => new Date(now + 365 * 86_400_000).toUTCString()],
  ])('caps a Retry-After of %s at one hour', async (_, retryAfter) => {
    const h = harness(
      () => new Response('{}', { status: 429, headers: { 'retry-after': retryAfter(h.clock.now()) } }),
    )
    expect(await failure(h.api.fetch('g', 'proj'))).toMatchObject({ code: 'rate_limited', retryAfter: 3_600 })
  })

  it('refuses to follow a redirect', async () => {
    const h = harness(() => new Response(null, { status: 302, headers: { location: 'https://evil.com' } }))
    expect(await failure(h.api.fetch('g', 'proj'))).toMatchObject({
      code: 'unexpected_response',
      status: 302,
    })
    expect(h.requests.length).toBe(1)
  })

  it('times out on the clock when Workfront does not answer', async () => {
    const h = harness(() => new Promise<Response>(() => {}))
    const pending = failure(h.api.fetch('g', 'proj'))
    await h.clock.advanceAsync(5_000)
    expect((await pending).code).toBe('api_unreachable')
  })

  it('reports a network failure as api_unreachable, and ends sessions best effort', async () => {
    const h = harness(() => {
      throw new TypeError('fetch failed')
    })
    expect((await failure(h.api.fetch('g', 'proj'))).code).toBe('api_unreachable')
    expect(await h.api.endSession(BASE, 'session-1')).toBe(false)
  })

  it('ends a session with GET logout', async () => {
    const h = harness()
    expect(await h.api.endSession(BASE, 'session-1')).toBe(true)
    expect(h.requests[0]?.url).toBe(`${BASE}/attask/api/v21.0/logout`)
    expect(h.requests[0]?.headers.get('sessionid')).toBe('session-1')
  })
})
