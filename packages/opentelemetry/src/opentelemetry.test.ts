/**
 * The instrumentation with the real OpenTelemetry SDK (in-memory span exporter and metric exporter) over
 * the Workfront mock: the span tree and the metric values of each flow and error path, and a scan of
 * everything recorded for every secret that crossed the HTTP port.
 */
import { SpanKind } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { isWorkfrontOAuthError } from '@workfront-oauth/core'
import { hiccupStore } from '@workfront-oauth/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { Attr, Metric } from './index.ts'
import type { Setup } from './test/flows.ts'
import { serverSetup, setup } from './test/flows.ts'
import { counted, exported, leaked, recorded, trees } from './test/harness.ts'

const TOKEN = 'POST /integrations/oauth2/api/v1/token'
const JWT = 'POST /integrations/oauth2/api/v1/jwt/exchange'

/** Every recording of the file, scanned for secrets after each test. */
let current: { rec: Setup['rec']; secrets: Set<string> } | null = null

afterEach(async () => {
  if (current === null) return
  const { rec, secrets } = current
  current = null
  const text = exported(rec.spans(), await rec.metrics())
  expect(secrets.size).toBeGreaterThan(3)
  expect(leaked(text, secrets)).toEqual([])
  await rec.shutdown()
})

function track<T extends { rec: Setup['rec']; secrets: Set<string> }>(value: T): T {
  current = value
  return value
}

const byName = (spans: ReadableSpan[], name: string): ReadableSpan[] => spans.filter((s) => s.name === name)
const codeOf = async (promise: Promise<unknown>): Promise<string> => {
  try {
    await promise
  } catch (error) {
    if (isWorkfrontOAuthError(error)) return error.code
    throw error
  }
  throw new Error('expected a failure')
}

describe('the secret scan', () => {
  it('knows the tokens the store holds, and finds a secret that reaches a recorded attribute', async () => {
    const t = setup()
    const grantId = await t.signIn()
    const stored = await t.store.getVersioned(`grant:${grantId}`)
    const grant = JSON.parse(stored?.value ?? '{}') as { accessToken: string; refreshToken: string }
    expect(t.secrets).toContain(grant.accessToken)
    expect(t.secrets).toContain(grant.refreshToken)
    expect(t.secrets).toContain(grantId)
    expect(leaked(exported(t.rec.spans(), await t.rec.metrics()), t.secrets)).toEqual([])
    // A port implementation that passed a token on would be caught.
    const observer = t.rec.instrumentation.operation({
      operation: 'api_call',
      flow: 'authorization_code',
      tenantHost: null,
    })
    observer.tenant(grant.refreshToken)
    observer.end()
    expect(leaked(exported(t.rec.spans(), await t.rec.metrics()), t.secrets)).toEqual([grant.refreshToken])
    await t.rec.shutdown()
  })
})

describe('a sign-in', () => {
  it('is a login span and a callback span with the code exchange, the user read and the grant write inside', async () => {
    const t = track(setup())
    await t.signIn()
    expect(trees(t.rec.spans())).toEqual([
      ['workfront_oauth.login', [['workfront_oauth.store transaction.write', []]]],
      [
        'workfront_oauth.callback',
        [
          [TOKEN, []],
          ['workfront_oauth.user.read', []],
          ['workfront_oauth.store grant.write', []],
        ],
      ],
    ])
    const [token] = byName(t.rec.spans(), TOKEN)
    expect(token?.kind).toBe(SpanKind.CLIENT)
    expect(token?.attributes).toEqual({
      [Attr.HTTPMethod]: 'POST',
      [Attr.URLFull]: `https://${t.mock.host}/integrations/oauth2/api/v1/token`,
      [Attr.URLTemplate]: '/integrations/oauth2/api/v1/token',
      [Attr.ServerAddress]: t.mock.host,
      [Attr.ServerPort]: 443,
      [Attr.GrantType]: 'authorization_code',
    })
    const [callback] = byName(t.rec.spans(), 'workfront_oauth.callback')
    expect(callback?.attributes).toMatchObject({
      [Attr.Operation]: 'callback',
      [Attr.Flow]: 'authorization_code',
      [Attr.TenantHost]: t.mock.host,
    })
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.SignIns, { [Attr.Outcome]: 'success' })).toBe(1)
    expect(counted(metrics, Metric.SignIns, { [Attr.Outcome]: 'failure' })).toBe(0)
    expect(counted(metrics, Metric.TokenRequests, { [Attr.GrantType]: 'authorization_code' })).toBe(1)
    expect(recorded(metrics, Metric.TokenRequestDuration)).toBe(1)
    expect(recorded(metrics, Metric.StoreOperationDuration, { [Attr.StoreOperation]: 'compareAndSet' })).toBe(
      1,
    )
    expect(recorded(metrics, Metric.OperationDuration, { [Attr.Operation]: 'login' })).toBe(1)
  })
})

describe('refreshes', () => {
  it('a storm of 100 callers: one refresh span, one done and 99 joined', async () => {
    const t = track(setup({ mock: { expiresIn: 600 } }))
    const grantId = await t.signIn()
    t.mock.clock.advance(601_000)
    const tokens = await Promise.all(Array.from({ length: 100 }, () => t.oauth.getAccessToken(grantId)))
    for (const token of tokens) t.secrets.add(token.accessToken)
    expect(new Set(tokens.map((token) => token.accessToken)).size).toBe(1)
    expect(t.mock.counters().tokenCalls.refresh_token).toBe(1)
    const spans = t.rec.spans()
    const operations = byName(spans, 'workfront_oauth.access_token')
    expect(operations).toHaveLength(100)
    const refreshing = operations.filter((s) => s.attributes[Attr.RefreshOutcome] === 'done')
    expect(refreshing).toHaveLength(1)
    expect(operations.filter((s) => s.attributes[Attr.RefreshOutcome] === 'joined')).toHaveLength(99)
    const refreshes = byName(spans, TOKEN).filter((s) => s.attributes[Attr.GrantType] === 'refresh_token')
    expect(refreshes).toHaveLength(1)
    expect(refreshes[0]?.parentSpanContext?.spanId).toBe(refreshing[0]?.spanContext().spanId)
    // One trace for the storm: each joiner's span links to the refreshing one.
    const refresher = refreshing[0]?.spanContext()
    const joiners = operations.filter((s) => s.attributes[Attr.RefreshOutcome] === 'joined')
    for (const joiner of joiners) {
      expect(joiner.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([
        [refresher?.traceId, refresher?.spanId],
      ])
    }
    expect(refreshing[0]?.links).toEqual([])
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.Refreshes, { [Attr.RefreshOutcome]: 'done' })).toBe(1)
    expect(counted(metrics, Metric.Refreshes, { [Attr.RefreshOutcome]: 'joined' })).toBe(99)
    expect(counted(metrics, Metric.Refreshes, { [Attr.RefreshOutcome]: 'failed' })).toBe(0)
    expect(counted(metrics, Metric.TokenRequests, { [Attr.GrantType]: 'refresh_token' })).toBe(1)
  })

  it('an API call whose session expired: the refresh inside its span, then the retried call', async () => {
    const t = track(setup())
    const grantId = await t.signIn()
    t.mock.expireAllSessions()
    const response = await t.oauth.fetch(grantId, 'proj/search')
    expect(response.status).toBe(200)
    const tree = trees(t.rec.spans()).find(([name]) => name === 'workfront_oauth.api_call')
    expect(tree).toEqual([
      'workfront_oauth.api_call',
      [
        ['workfront_oauth.lock.wait', []],
        [TOKEN, []],
        ['workfront_oauth.store grant.write', []],
        ['workfront_oauth.store lock.release', []],
      ],
    ])
    const [call] = byName(t.rec.spans(), 'workfront_oauth.api_call')
    expect(call?.attributes).toMatchObject({
      [Attr.HTTPMethod]: 'GET',
      [Attr.HTTPStatus]: 200,
      [Attr.RefreshOutcome]: 'done',
      [Attr.NearCacheResult]: 'hit',
      [Attr.TenantHost]: t.mock.host,
    })
    const [lock] = byName(t.rec.spans(), 'workfront_oauth.lock.wait')
    expect(lock?.attributes[Attr.LockOutcome]).toBe('acquired')
    expect(typeof lock?.attributes[Attr.LockWaitMs]).toBe('number')
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.NearCacheLookups, { [Attr.NearCacheResult]: 'hit' })).toBe(1)
    expect(recorded(metrics, Metric.LockWaitDuration, { [Attr.LockOutcome]: 'acquired' })).toBe(1)
    expect(counted(metrics, Metric.LockWaits)).toBe(0)
  })

  it('an access token the near cache serves makes no span and counts a hit; a miss is a child span', async () => {
    const t = track(setup({ mock: { expiresIn: 600 } }))
    const grantId = await t.signIn()
    const before = t.rec.spans().length
    for (let i = 0; i < 5; i++) t.secrets.add((await t.oauth.getAccessToken(grantId)).accessToken)
    expect(t.rec.spans()).toHaveLength(before)
    t.mock.clock.advance(601_000)
    t.secrets.add((await t.oauth.getAccessToken(grantId)).accessToken)
    const [operation] = byName(t.rec.spans(), 'workfront_oauth.access_token')
    expect(operation?.attributes).toMatchObject({
      [Attr.NearCacheResult]: 'miss',
      [Attr.RefreshOutcome]: 'done',
    })
    const [miss] = byName(t.rec.spans(), 'workfront_oauth.near_cache')
    expect(miss?.parentSpanContext?.spanId).toBe(operation?.spanContext().spanId)
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.NearCacheLookups, { [Attr.NearCacheResult]: 'hit' })).toBe(5)
    expect(counted(metrics, Metric.NearCacheLookups, { [Attr.NearCacheResult]: 'miss' })).toBe(1)
    expect(recorded(metrics, Metric.OperationDuration, { [Attr.Operation]: 'access_token' })).toBe(1)
  })

  it('a refresh lock held elsewhere past the wait: refresh_timeout, a lock wait that timed out', async () => {
    const t = track(setup({ client: { lockWaitMs: 150 }, mock: { expiresIn: 600 } }))
    const grantId = await t.signIn()
    t.mock.clock.advance(601_000)
    expect(await t.store.acquireLock(`grant:${grantId}`, { owner: 'another-process', leaseMs: 60_000 })).toBe(
      true,
    )
    expect(await codeOf(t.oauth.getAccessToken(grantId))).toBe('refresh_timeout')
    const [operation] = byName(t.rec.spans(), 'workfront_oauth.access_token')
    expect(operation?.attributes).toMatchObject({
      [Attr.ErrorType]: 'refresh_timeout',
      [Attr.RefreshOutcome]: 'failed',
    })
    const locks = byName(t.rec.spans(), 'workfront_oauth.lock.wait')
    expect(locks.at(-1)?.attributes[Attr.LockOutcome]).toBe('timeout')
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.LockWaits, { [Attr.LockOutcome]: 'timeout' })).toBe(1)
    expect(counted(metrics, Metric.Refreshes, { [Attr.ErrorType]: 'refresh_timeout' })).toBe(1)
  })

  it('a refresh token Workfront no longer takes: refresh failed, the grant lost', async () => {
    const t = track(setup())
    const grantId = await t.signIn()
    // The refresh is applied at Workfront and its answer lost: the stored refresh token is now dead.
    t.mock.injectFailure({ endpoint: 'token', kind: 'dropAfterRotate', grantType: 'refresh_token' })
    t.mock.expireAllSessions()
    expect(await codeOf(t.oauth.fetch(grantId, 'proj/search'))).toBe('token_endpoint_unreachable')
    expect(await codeOf(t.oauth.fetch(grantId, 'proj/search'))).toBe('reauthorization_required')
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.Refreshes, { [Attr.ErrorType]: 'token_endpoint_unreachable' })).toBe(1)
    expect(counted(metrics, Metric.Refreshes, { [Attr.ErrorType]: 'reauthorization_required' })).toBe(1)
    expect(counted(metrics, Metric.GrantsLost, { [Attr.GrantLossReason]: 'reauthorization_required' })).toBe(
      1,
    )
    const failed = byName(t.rec.spans(), TOKEN).filter((s) => s.attributes[Attr.ErrorType] !== undefined)
    expect(failed.map((s) => s.attributes[Attr.ErrorType])).toEqual([
      'token_endpoint_unreachable',
      'refresh_rejected',
    ])
    const calls = byName(t.rec.spans(), 'workfront_oauth.api_call')
    expect(calls.at(-1)?.events.map((e) => e.name)).toEqual(['workfront_oauth.grant_lost'])
  })
})

describe('the store, the API and sign-out', () => {
  it('a store outage: store_unavailable on the operation, store errors counted', async () => {
    const { store, knobs } = hiccupStore()
    const t = track(setup({ store, client: { nearCache: false } }))
    const grantId = await t.signIn()
    knobs.failReads = true
    expect(await codeOf(t.oauth.fetch(grantId, 'proj/search'))).toBe('store_unavailable')
    const [call] = byName(t.rec.spans(), 'workfront_oauth.api_call')
    expect(call?.attributes[Attr.ErrorType]).toBe('store_unavailable')
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.StoreErrors, { [Attr.StoreOperation]: 'getVersioned' })).toBe(1)
    expect(recorded(metrics, Metric.OperationDuration, { [Attr.ErrorType]: 'store_unavailable' })).toBe(1)
  })

  it('429s retried: the resend count and the final status on the span', async () => {
    const t = track(setup({ client: { apiLimits: { retries: 2, baseDelayMs: 1, maxDelayMs: 2_000 } } }))
    const grantId = await t.signIn()
    t.mock.injectFailure({ endpoint: 'api', kind: 'status429', times: 1, retryAfter: 0 })
    expect((await t.oauth.fetch(grantId, 'proj/search')).status).toBe(200)
    t.mock.injectFailure({ endpoint: 'api', kind: 'status429', times: 5, retryAfter: 0 })
    expect(await codeOf(t.oauth.fetch(grantId, 'proj/search'))).toBe('rate_limited')
    const [ok, limited] = byName(t.rec.spans(), 'workfront_oauth.api_call')
    expect(ok?.attributes).toMatchObject({ [Attr.HTTPStatus]: 200, [Attr.HTTPResendCount]: 1 })
    expect(limited?.attributes).toMatchObject({
      [Attr.HTTPStatus]: 429,
      [Attr.HTTPResendCount]: 2,
      [Attr.ErrorType]: 'rate_limited',
    })
  })

  it('a logout: the session ended at Workfront and the grant deleted, inside one span', async () => {
    const t = track(setup())
    const grantId = await t.signIn()
    expect(await t.oauth.logout(grantId)).toEqual({ sessionEnded: true })
    expect(trees(t.rec.spans()).at(-1)).toEqual([
      'workfront_oauth.logout',
      [
        ['workfront_oauth.session.end', []],
        ['workfront_oauth.store grant.delete', []],
      ],
    ])
  })
})

describe('the session lookup (getGrant: a guard, getSession)', () => {
  it('a near-cache hit makes no span and counts a hit; a store read is a session span with the read inside', async () => {
    const t = track(setup())
    const grantId = await t.signIn()
    const before = t.rec.spans().length
    for (let i = 0; i < 3; i++) expect((await t.oauth.getGrant(grantId, { cached: true }))?.id).toBe(grantId)
    expect(t.rec.spans()).toHaveLength(before)
    expect((await t.oauth.getGrant(grantId))?.id).toBe(grantId)
    expect(await t.oauth.getGrant('no-such-grant-id-value')).toBe(null)
    t.secrets.add('no-such-grant-id-value')
    expect(trees(t.rec.spans()).slice(-2)).toEqual([
      ['workfront_oauth.session', [['workfront_oauth.store grant.read', []]]],
      ['workfront_oauth.session', [['workfront_oauth.store grant.read', []]]],
    ])
    const [found, missing] = byName(t.rec.spans(), 'workfront_oauth.session')
    expect(found?.attributes).toEqual({
      [Attr.Operation]: 'session',
      [Attr.Flow]: 'authorization_code',
      [Attr.TenantHost]: t.mock.host,
    })
    expect(missing?.attributes[Attr.ErrorType]).toBe(undefined)
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.NearCacheLookups, { [Attr.NearCacheResult]: 'hit' })).toBe(3)
    expect(recorded(metrics, Metric.OperationDuration, { [Attr.Operation]: 'session' })).toBe(2)
  })

  it('without the near cache, in a store outage: a miss, then store_unavailable on the read and the lookup', async () => {
    const { store, knobs } = hiccupStore()
    const t = track(setup({ store, client: { nearCache: false } }))
    const grantId = await t.signIn()
    knobs.failReads = true
    expect(await codeOf(t.oauth.getGrant(grantId, { cached: true }))).toBe('store_unavailable')
    expect(trees(t.rec.spans()).at(-1)).toEqual([
      'workfront_oauth.session',
      [
        ['workfront_oauth.near_cache', []],
        ['workfront_oauth.store grant.read', []],
      ],
    ])
    const [lookup] = byName(t.rec.spans(), 'workfront_oauth.session')
    expect(lookup?.attributes).toMatchObject({
      [Attr.NearCacheResult]: 'miss',
      [Attr.ErrorType]: 'store_unavailable',
    })
    const [read] = byName(t.rec.spans(), 'workfront_oauth.store grant.read')
    expect(read?.attributes[Attr.ErrorType]).toBe('store_unavailable')
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.NearCacheLookups, { [Attr.NearCacheResult]: 'miss' })).toBe(1)
    expect(counted(metrics, Metric.StoreErrors, { [Attr.StoreOperation]: 'getVersioned' })).toBe(1)
  })
})

describe('failed sign-ins', () => {
  it('a refused consent, a forged state, a wrong client secret and a token endpoint down: each counted by code', async () => {
    const t = track(setup())
    await expect(t.signIn({ decision: 'deny' })).rejects.toMatchObject({ code: 'access_denied' })
    const forged = new URL('https://app.test/cb?code=forged-code-value&state=forged-state-value')
    t.secrets.add('forged-code-value')
    expect(await codeOf(t.oauth.handleCallback(forged))).toBe('state_mismatch')
    t.mock.injectFailure({ endpoint: 'token', kind: 'status500', grantType: 'authorization_code' })
    const down = await codeOf(t.signIn())
    const wrong = track(setup({ client: { clientSecret: 'not-the-secret-value' } }))
    for (const secret of t.secrets) wrong.secrets.add(secret)
    expect(await codeOf(wrong.signIn())).toBe('client_rejected')

    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.SignIns, { [Attr.ErrorType]: 'access_denied' })).toBe(1)
    expect(counted(metrics, Metric.SignIns, { [Attr.ErrorType]: 'state_mismatch' })).toBe(1)
    expect(counted(metrics, Metric.SignIns, { [Attr.ErrorType]: down })).toBe(1)
    expect(counted(metrics, Metric.TokenRequests, { [Attr.ErrorType]: down })).toBe(1)
    expect(counted(await wrong.rec.metrics(), Metric.SignIns, { [Attr.ErrorType]: 'client_rejected' })).toBe(
      1,
    )
    const [rejected] = byName(wrong.rec.spans(), TOKEN)
    expect(rejected?.attributes).toMatchObject({ [Attr.ErrorType]: 'client_rejected' })
    // The first setup's recording is scanned here; the second's by afterEach.
    expect(leaked(exported(t.rec.spans(), metrics), t.secrets)).toEqual([])
  })
})

describe('Machine to Machine', () => {
  it('the JWT exchange inside the access-token span, then an API call without one', async () => {
    const t = track(serverSetup())
    const token = await t.auth.getAccessToken()
    t.secrets.add(token.accessToken)
    expect((await t.auth.fetch('proj/search')).status).toBe(200)
    expect(trees(t.rec.spans()).map(([name, children]) => [name, children.map(([child]) => child)])).toEqual([
      [
        'workfront_oauth.access_token',
        [
          'workfront_oauth.lock.wait',
          JWT,
          'workfront_oauth.store grant.write',
          'workfront_oauth.store lock.release',
        ],
      ],
      ['workfront_oauth.api_call', []],
    ])
    const metrics = await t.rec.metrics()
    expect(
      counted(metrics, Metric.TokenRequests, { [Attr.GrantType]: 'jwt_exchange', [Attr.Flow]: 'jwt' }),
    ).toBe(1)
    expect(counted(metrics, Metric.Refreshes, { [Attr.RefreshOutcome]: 'done', [Attr.Flow]: 'jwt' })).toBe(1)
  })

  it('a wrong client secret: client_rejected on the exchange', async () => {
    const t = track(serverSetup({ clientSecret: 'wrong-m2m-secret-value' }))
    expect(await codeOf(t.auth.getAccessToken())).toBe('client_rejected')
    const [exchange] = byName(t.rec.spans(), JWT)
    expect(exchange?.attributes).toMatchObject({
      [Attr.ErrorType]: 'client_rejected',
      [Attr.GrantType]: 'jwt_exchange',
    })
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.Refreshes, { [Attr.ErrorType]: 'client_rejected' })).toBe(1)
  })
})
