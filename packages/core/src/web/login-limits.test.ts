/**
 * The sign-in limits of the web flow: the process's capacity (what anonymous traffic can make the store
 * hold), each client's own limit (by address, an IPv6 client by its /64), and fairness: a flooding client,
 * known or unknown, leaves other users' sign-ins alone. Sign-ins never reach Workfront here (a login only
 * writes its transaction), and one fake clock drives every bucket.
 */
import { describe, expect, it } from 'vitest'
import { createWorkfrontOAuth } from '../client.ts'
import type { ErrorCode } from '../errors.ts'
import { memoryStore } from '../memory-store.ts'
import { createFakeClock } from '../testing.ts'
import { createWebAuth } from './auth.ts'
import { createWebFlow, DEFAULT_LOGIN_CAPACITY } from './flow.ts'
import type { RequestContext, WebFlowOptions, WebResult } from './flow-types.ts'

const APP = 'https://app.example.com'
const SECRETS = ['cookie-secret-0123456789abcdefghijklmnop']

function limited(overrides: Partial<WebFlowOptions> = {}) {
  const clock = createFakeClock()
  const store = memoryStore({ clock, maxValues: 1_000_000 })
  const oauth = createWorkfrontOAuth({
    clientId: 'client-1',
    clientSecret: 'secret-1',
    redirectUri: `${APP}/auth/callback`,
    baseUrl: 'https://acme.my.workfront.com',
    store,
    clock,
    http: () => Promise.reject(new Error('a sign-in start sends nothing')),
  })
  const auth = createWebAuth({ oauth, appOrigin: APP, cookieSecrets: SECRETS, clock, ...overrides })
  const request = (headers: Record<string, string> = {}) => new Request(`${APP}/auth/login`, { headers })
  /** A sign-in from `clientAddress` as the runtime reports it (null: the runtime does not know). */
  const login = (clientAddress: string | null = '192.0.2.1', headers: Record<string, string> = {}) =>
    auth.flow.login(request(headers), { clientAddress } satisfies RequestContext)
  const respond = (result: WebResult) => auth.toResponse(result, request())
  return { clock, store, login, respond }
}

function expectError(result: WebResult, code: ErrorCode, status: number) {
  if (result.type !== 'error') throw new Error(`expected ${code}, got a redirect`)
  expect([result.error.code, result.status]).toEqual([code, status])
  return result
}
const expectRedirect = (result: WebResult) => expect(result.type, JSON.stringify(result)).toBe('redirect')

/** The nth address of a /16 of test addresses: every sign-in from another client. */
const someone = (n: number): string => `10.${(n >> 8) & 255}.${n & 255}.1`

describe('the process capacity', () => {
  it('keeps at most burst + 15 minutes of refill login transactions alive, however fast they are asked for: 9,100 by default', async () => {
    // A tenth of the default rate, so that the run stays small; the bound is the same formula.
    const capacity = { burst: 10, perMinute: 60 }
    const { clock, store, login } = limited({ loginCapacity: capacity })
    const started: number[] = []
    let refused = 0
    let peak = 0
    let n = 0
    // 17 minutes of 2 sign-ins a second (twice the steady rate allowed), each from another client.
    for (let second = 0; second < 17 * 60; second++) {
      for (let i = 0; i < 2; i++) {
        const result = await login(someone(n++))
        if (result.type === 'redirect') started.push(clock.now())
        else {
          expectError(result, 'login_capacity_exceeded', 503)
          expect(result.error.retryAfter).toBe(1)
          refused++
        }
      }
      // A transaction lives 10 minutes, and the store keeps it 5 more (a late callback is told "expired").
      const alive = started.filter((at) => at > clock.now() - 15 * 60_000).length
      peak = Math.max(peak, alive)
      clock.advance(1_000)
    }
    const bound = (limit: { burst: number; perMinute: number }) => limit.burst + limit.perMinute * 15
    // Reached to within one second of refill, never passed.
    expect(peak).toBeLessThanOrEqual(bound(capacity))
    expect(peak).toBeGreaterThanOrEqual(bound(capacity) - capacity.perMinute / 60)
    expect(refused).toBeGreaterThan(0)
    // A refused sign-in writes nothing.
    expect(store.size().values).toBeLessThanOrEqual(started.length)
    // The documented figure.
    expect(bound(DEFAULT_LOGIN_CAPACITY)).toBe(9_100)
  })

  it('answers 503 with Retry-After past the capacity and writes nothing', async () => {
    const { store, login, respond } = limited({ loginCapacity: { burst: 2, perMinute: 1 } })
    expectRedirect(await login(someone(1)))
    expectRedirect(await login(someone(2)))
    const result = expectError(await login(someone(3)), 'login_capacity_exceeded', 503)
    expect(result.cookies).toEqual([])
    expect(store.size().values).toBe(2)
    const response = await respond(result)
    expect(response.headers.get('retry-after')).toBe('60')
    expect(await response.json()).toEqual({
      error: { code: 'login_capacity_exceeded', message: expect.stringContaining('Too many sign-ins') },
    })
  })

  it('gives clients nobody can tell apart (no address, no key) half of it', async () => {
    const { login } = limited({ loginCapacity: { burst: 10, perMinute: 60 } })
    for (let i = 0; i < 5; i++) expectRedirect(await login(null))
    expectError(await login(null), 'login_capacity_exceeded', 503)
    // The other half is still there for clients that can be told apart.
    for (let i = 0; i < 5; i++) expectRedirect(await login(someone(i)))
    expectError(await login(someone(9)), 'login_capacity_exceeded', 503)
  })

  it('can be turned off; a malformed limit is refused', async () => {
    const { login } = limited({ loginCapacity: false })
    for (let i = 0; i < 200; i++) expectRedirect(await login(null))
    const { oauth } = {
      oauth: createWorkfrontOAuth({
        clientId: 'c',
        clientSecret: 's',
        redirectUri: `${APP}/cb`,
        baseUrl: 'https://acme.my.workfront.com',
        store: memoryStore(),
      }),
    }
    for (const loginCapacity of [
      { burst: 0, perMinute: 1 },
      { burst: 1, perMinute: Number.NaN },
    ]) {
      expect(() => createWebFlow({ oauth, appOrigin: APP, cookieSecrets: SECRETS, loginCapacity })).toThrow(
        expect.objectContaining({ code: 'invalid_options' }),
      )
    }
    for (const loginClientIPv6Prefix of [0, 129, 1.5]) {
      expect(() =>
        createWebFlow({ oauth, appOrigin: APP, cookieSecrets: SECRETS, loginClientIPv6Prefix }),
      ).toThrow(expect.objectContaining({ code: 'invalid_options' }))
    }
  })
})

describe('each client’s own limit', () => {
  it('counts by the client address the runtime knows (429), leaves other clients alone, and refills with time', async () => {
    const { clock, login, respond } = limited({ loginRateLimit: { burst: 3, perMinute: 10 } })
    for (let i = 0; i < 3; i++) expectRedirect(await login('198.51.100.7'))
    const refused = expectError(await login('198.51.100.7'), 'login_rate_limited', 429)
    expect(refused.error.retryAfter).toBe(6)
    expect((await respond(refused)).headers.get('retry-after')).toBe('6')
    expectRedirect(await login('203.0.113.9'))
    // The same client with its port, or IPv4-mapped: the same key.
    expectError(await login('198.51.100.7:51234'), 'login_rate_limited', 429)
    expectError(await login('::ffff:198.51.100.7'), 'login_rate_limited', 429)
    clock.advance(6_000)
    expectRedirect(await login('198.51.100.7'))
    expectError(await login('198.51.100.7'), 'login_rate_limited', 429)
  })

  it('counts an IPv6 client by its /64: rotating addresses inside it does not escape the limit', async () => {
    const { login } = limited({ loginRateLimit: { burst: 3, perMinute: 10 } })
    for (let i = 0; i < 3; i++) expectRedirect(await login(`2001:db8:1:2::${i + 1}`))
    expectError(await login('2001:db8:1:2:ffff:1:2:3'), 'login_rate_limited', 429)
    // The next /64 is someone else.
    expectRedirect(await login('2001:db8:1:3::1'))
    // 128: each address on its own.
    const each = limited({ loginRateLimit: { burst: 1, perMinute: 1 }, loginClientIPv6Prefix: 128 })
    for (let i = 0; i < 5; i++) expectRedirect(await each.login(`2001:db8:1:2::${i + 1}`))
  })

  it('counts by loginClientKey when given one; a null key is counted as a client nobody can tell apart', async () => {
    const { login } = limited({
      loginClientKey: (request) => request.headers.get('x-api-key'),
      loginRateLimit: { burst: 2, perMinute: 1 },
      loginCapacity: { burst: 4, perMinute: 1 },
    })
    // The address is not the key here.
    expectRedirect(await login('192.0.2.1', { 'x-api-key': 'a' }))
    expectRedirect(await login('192.0.2.2', { 'x-api-key': 'a' }))
    expectError(await login('192.0.2.3', { 'x-api-key': 'a' }), 'login_rate_limited', 429)
    expectRedirect(await login('192.0.2.1'))
    expectRedirect(await login('192.0.2.1'))
    expectError(await login('192.0.2.1'), 'login_capacity_exceeded', 503)
  })
})

describe('fairness under a flood (defaults)', () => {
  /**
   * One client asks for 12 sign-ins a second for 5 minutes; 60 other users each sign in once, spread over
   * the same 5 minutes. What share of the 60 got in?
   */
  async function run(attacker: (n: number) => string | null): Promise<{ others: number; flood: number }> {
    const { clock, login } = limited()
    let others = 0
    let flood = 0
    for (let tick = 0; tick < 5 * 60 * 12; tick++) {
      if ((await login(attacker(tick))).type === 'redirect') flood++
      if (tick % 60 === 30) {
        const user = someone(tick / 60 + 1000)
        if ((await login(user)).type === 'redirect') others++
      }
      clock.advance(1000 / 12)
    }
    return { others, flood }
  }

  it('one address at 12/s: every other user signs in (≥ 99 % required), the flooder gets its own limit only', async () => {
    const { others, flood } = await run(() => '203.0.113.66')
    expect(others / 60).toBeGreaterThanOrEqual(0.99)
    expect(others).toBe(60)
    // 10 at once, then one every 6 seconds: 10 + 50 in 5 minutes (the last one may fall a tick after the end).
    expect(flood).toBeGreaterThanOrEqual(59)
    expect(flood).toBeLessThanOrEqual(60)
  })

  it('one IPv6 client rotating through its own /64: the same', async () => {
    const { others, flood } = await run((n) => `2001:db8:66:1:${(n % 65535).toString(16)}::1`)
    expect(others).toBe(60)
    expect(flood).toBeGreaterThanOrEqual(59)
    expect(flood).toBeLessThanOrEqual(60)
  })

  it('a client nobody can tell apart (no address known): every user the runtime can tell apart still signs in', async () => {
    const { others, flood } = await run(() => null)
    expect(others).toBe(60)
    // Half the default capacity: 50 at once, then 5 a second.
    expect(flood).toBeGreaterThanOrEqual(50 + 5 * 5 * 60 - 1)
    expect(flood).toBeLessThanOrEqual(50 + 5 * 5 * 60)
  })
})
