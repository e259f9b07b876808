import { describe, expect, it } from 'vitest'
import type { WorkfrontOAuth } from '../client.ts'
import { createWorkfrontOAuth } from '../client.ts'
import type { StoredGrant } from '../machine.ts'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { failure } from '../test/failure.ts'
import { createTokenEndpoint } from '../test/token-endpoint.ts'
import { createFakeClock } from '../testing.ts'
import { createNearCache } from './near-cache.ts'

const stored = (id: string, version = 1): StoredGrant => ({
  grant: {
    id,
    origin: 'https://acme.my.workfront.com',
    accessToken: `session-${id}-${version}`,
    refreshToken: null,
    tokenType: 'sessionID',
    wid: null,
    createdAt: 0,
    obtainedAt: 0,
    expiresAt: null,
    refreshCount: 0,
  },
  version,
})

describe('near cache', () => {
  it('serves a grant for less than its maximum age', () => {
    const clock = createFakeClock()
    const cache = createNearCache({ clock, maxAgeMs: 1_000 })
    cache.put('g', stored('g'), cache.begin())
    clock.advance(999)
    expect(cache.get('g')).toEqual(stored('g'))
    clock.advance(1)
    expect(cache.get('g')).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('holds at most maxEntries grants, however many sessions come by (100 000)', () => {
    const clock = createFakeClock()
    const cache = createNearCache({ clock, maxEntries: 1_000 })
    for (let i = 0; i < 100_000; i++) {
      cache.put(`g${i}`, stored(`g${i}`), cache.begin())
      if (i % 10 === 0) cache.get(`g${i >> 1}`)
    }
    expect(cache.size).toBe(1_000)
    // The oldest reads went first.
    expect(cache.get('g98999')).toBeUndefined()
    expect(cache.get('g99000')).toBeDefined()
    expect(cache.get('g99999')).toBeDefined()
  })

  it('does not hold what a read returned when an invalidation came in while it ran', () => {
    const cache = createNearCache({ clock: createFakeClock() })
    const since = cache.begin()
    cache.drop('other')
    cache.put('g', stored('g'), since)
    expect(cache.get('g')).toBeUndefined()
    const again = cache.begin()
    cache.clear()
    cache.put('g', stored('g'), again)
    expect(cache.get('g')).toBeUndefined()
  })

  it('keeps the newer version when an older read finishes last', () => {
    const cache = createNearCache({ clock: createFakeClock() })
    cache.put('g', stored('g', 3), cache.begin())
    cache.put('g', stored('g', 2), cache.begin())
    expect(cache.get('g')?.version).toBe(3)
  })
})

const BASE = 'https://acme.my.workfront.com'

/** Two instances of the client (two processes) on one store and one Workfront, on one fake clock. */
async function twoInstances(options: { watch: boolean; maxAgeMs?: number }) {
  const clock = createFakeClock()
  const inner = memoryStore({ clock })
  const reads = { count: 0 }
  const { watchChanges, ...rest } = inner
  const store: StoragePort = {
    ...rest,
    ...(options.watch ? { watchChanges } : {}),
    getVersioned: (key) => {
      reads.count++
      return inner.getVersioned(key)
    },
  }
  const endpoint = createTokenEndpoint()
  const [a, b] = [0, 1].map(() =>
    createWorkfrontOAuth({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      redirectUri: 'https://app.example.com/auth/callback',
      baseUrl: BASE,
      store,
      http: endpoint.fetch,
      clock,
      nearCache: { maxAgeMs: options.maxAgeMs ?? 5_000 },
    }),
  ) as [WorkfrontOAuth, WorkfrontOAuth]
  const { state } = await a.startLogin()
  const { grant } = await a.handleCallback(new URLSearchParams({ code: endpoint.issueCode(), state }))
  return { clock, store, endpoint, reads, a, b, grantId: grant.id }
}

describe('near cache across instances', () => {
  it('costs no storage read per request in steady state', async () => {
    const t = await twoInstances({ watch: true })
    await t.b.getAccessToken(t.grantId)
    t.reads.count = 0
    for (let i = 0; i < 100; i++) await t.b.getAccessToken(t.grantId)
    expect(t.reads.count).toBe(0)
    // Past the maximum age, one read renews it.
    t.clock.advance(5_000)
    for (let i = 0; i < 100; i++) await t.b.getAccessToken(t.grantId)
    expect(t.reads.count).toBe(1)
  })

  it('picks up a token another process rotated after one 401, without a second refresh', async () => {
    const t = await twoInstances({ watch: false })
    const old = await t.b.getAccessToken(t.grantId)
    const rotated = await t.a.getAccessToken(t.grantId, { rejectedAccessToken: old.accessToken })
    // A's refresh is over once the user it reads again in the background has been read.
    await t.a.pendingWrites()
    t.endpoint.sessions.delete(old.accessToken)
    const apiCalls = t.endpoint.counters.apiCalls
    const response = await t.b.fetch(t.grantId, 'proj/search')
    expect(response.status).toBe(200)
    // One rejected call with the stale token, one with the rotated one; the refresh count stays at 1.
    expect(t.endpoint.counters.apiCalls - apiCalls).toBe(2)
    expect(t.endpoint.requests.at(-1)?.headers.sessionid).toBe(rotated.accessToken)
    expect(t.endpoint.counters.refresh).toBe(1)
    expect(t.endpoint.counters.reuses).toBe(0)
    // And B now serves the rotated token from its cache.
    expect((await t.b.getAccessToken(t.grantId)).accessToken).toBe(rotated.accessToken)
  })

  it('honours a logout on another instance at once when the store tells of changes', async () => {
    const t = await twoInstances({ watch: true })
    await t.b.getAccessToken(t.grantId)
    await t.a.logout(t.grantId)
    expect((await failure(t.b.getAccessToken(t.grantId))).code).toBe('grant_not_found')
  })

  it('never serves a deleted grant beyond the maximum age when nothing tells of changes', async () => {
    const t = await twoInstances({ watch: false, maxAgeMs: 2_000 })
    await t.b.getAccessToken(t.grantId)
    t.clock.advance(1_500)
    await t.a.logout(t.grantId)
    // Within the bound the stale grant may still be served (its Workfront session is already ended)…
    expect((await t.b.getAccessToken(t.grantId)).grantId).toBe(t.grantId)
    t.clock.advance(499)
    expect((await t.b.getAccessToken(t.grantId)).grantId).toBe(t.grantId)
    // …and not a millisecond past it.
    t.clock.advance(1)
    expect((await failure(t.b.getAccessToken(t.grantId))).code).toBe('grant_not_found')
  })

  it('re-reads the store when a rejected token is reported, whatever the cache holds', async () => {
    const t = await twoInstances({ watch: false })
    await t.b.getAccessToken(t.grantId)
    await t.a.logout(t.grantId)
    const error = await failure(t.b.getAccessToken(t.grantId, { rejectedAccessToken: 'anything' }))
    expect(error.code).toBe('grant_not_found')
  })

  it('can be turned off, and refuses nonsense bounds', async () => {
    const inner = memoryStore()
    let reads = 0
    const store: StoragePort = {
      ...inner,
      getVersioned: (key) => {
        reads++
        return inner.getVersioned(key)
      },
    }
    const endpoint = createTokenEndpoint()
    const base = {
      clientId: 'client-1',
      clientSecret: 'secret-1',
      redirectUri: 'https://app.example.com/auth/callback',
      baseUrl: BASE,
      store,
      http: endpoint.fetch,
    }
    const oauth = createWorkfrontOAuth({ ...base, nearCache: false })
    const { state } = await oauth.startLogin()
    const { grant } = await oauth.handleCallback(new URLSearchParams({ code: endpoint.issueCode(), state }))
    reads = 0
    for (let i = 0; i < 5; i++) await oauth.getAccessToken(grant.id)
    expect(reads).toBe(5)
    expect(() => createWorkfrontOAuth({ ...base, nearCache: { maxEntries: 0 } })).toThrow(/nearCache/)
    expect(() => createWorkfrontOAuth({ ...base, nearCache: { maxAgeMs: Number.NaN } })).toThrow(/nearCache/)
  })
})
