/**
 * The same instrumentation inside workerd, with the core's in-memory store and the Workfront mock in the
 * isolate: the SDK's in-memory exporters record the span tree and the metrics of a sign-in, a refresh
 * storm (its joiners linked to the refresh) and a Machine to Machine exchange, and nothing recorded carries
 * a secret.
 */
import { describe, expect, it } from 'vitest'
import { Attr, Metric } from './index.ts'
import { serverSetup, setup } from './test/flows.ts'
import { counted, exported, leaked, trees } from './test/harness.ts'

describe('in workerd', () => {
  it('a sign-in and a storm of 20 callers: the span tree, one refresh done and 19 joined, no secret', async () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers')
    const t = setup({ mock: { expiresIn: 600 } })
    const grantId = await t.signIn()
    expect(trees(t.rec.spans()).map(([name]) => name)).toEqual([
      'workfront_oauth.login',
      'workfront_oauth.callback',
    ])
    t.mock.clock.advance(601_000)
    const tokens = await Promise.all(Array.from({ length: 20 }, () => t.oauth.getAccessToken(grantId)))
    for (const token of tokens) t.secrets.add(token.accessToken)
    expect(t.mock.counters().tokenCalls.refresh_token).toBe(1)
    const metrics = await t.rec.metrics()
    expect(counted(metrics, Metric.SignIns, { [Attr.Outcome]: 'success' })).toBe(1)
    expect(counted(metrics, Metric.Refreshes, { [Attr.RefreshOutcome]: 'done' })).toBe(1)
    expect(counted(metrics, Metric.Refreshes, { [Attr.RefreshOutcome]: 'joined' })).toBe(19)
    // One trace for the storm: each joiner's span links to the refreshing one.
    const operations = t.rec.spans().filter((s) => s.name === 'workfront_oauth.access_token')
    const [done] = operations.filter((s) => s.attributes[Attr.RefreshOutcome] === 'done')
    const joined = operations.filter((s) => s.attributes[Attr.RefreshOutcome] === 'joined')
    expect(joined).toHaveLength(19)
    for (const joiner of joined) {
      expect(joiner.links.map((link) => link.context.spanId)).toEqual([done?.spanContext().spanId])
    }
    expect(leaked(exported(t.rec.spans(), metrics), t.secrets)).toEqual([])
    await t.rec.shutdown()
  })

  it('a Machine to Machine exchange: the JWT exchange span, no secret', async () => {
    const t = serverSetup()
    const token = await t.auth.getAccessToken()
    t.secrets.add(token.accessToken)
    const [[name, children] = ['', []]] = trees(t.rec.spans())
    expect(name).toBe('workfront_oauth.access_token')
    expect(children.map(([child]) => child)).toContain('POST /integrations/oauth2/api/v1/jwt/exchange')
    expect(leaked(exported(t.rec.spans(), await t.rec.metrics()), t.secrets)).toEqual([])
    await t.rec.shutdown()
  })
})
