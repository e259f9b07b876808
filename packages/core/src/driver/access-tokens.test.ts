/** Access tokens in one process (`access-tokens.ts`): the stored token, single flight, the memo. */
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { parts, storedGrant } from '../test/parts.ts'
import { createFakeClock } from '../testing.ts'
import { createAccessTokens } from './access-tokens.ts'

/** Lets pending promise callbacks run (a fake clock never moves by itself). */
const _settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

/** Counts storage reads and lock attempts of a memory store on the parts' clock. */
function counted(clock = createFakeClock()) {
  const inner = memoryStore({ clock })
  const counts = { reads: 0, locks: 0 }
  const store: StoragePort = {
    ...inner,
    getVersioned: (key) => {
      counts.reads++
      return inner.getVersioned(key)
    },
    acquireLock: (key, options) => {
      counts.locks++
      return inner.acquireLock(key, options)
    },
  }
  return { clock, store, counts }
}

describe('access tokens', () => {
  it('hands out the stored token while it is good, without running the machine further', async () => {
    const p = parts()
    const grant = await storedGrant(p)
    expect(await p.access.get(grant.id)).toEqual({
      grantId: grant.id,
      origin: grant.origin,
      accessToken: grant.accessToken,
      tokenType: 'sessionID',
    })
    expect(p.endpoint.counters.refresh).toBe(0)
  })

  it('refreshes a token known to be expired on the clock', async () => {
    const p = parts()
    const grant = await storedGrant(p, { expiresAt: p.clock.now() + 3_600_000 })
    p.clock.advance(3_600_000 - 60_000)
    expect((await p.access.get(grant.id)).accessToken).not.toBe(grant.accessToken)
    expect(p.endpoint.counters.refresh).toBe(1)
  })

  it('runs one refresh for concurrent callers in the process (single flight)', async () => {
    const { clock, store, counts } = counted()
    const p = parts({ clock, store })
    const grant = await storedGrant(p)
    const tokens = await Promise.all(
      Array.from({ length: 50 }, () => p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })),
    )
    expect(new Set(tokens.map((t) => t.accessToken)).size).toBe(1)
    expect(tokens[0]?.accessToken).not.toBe(grant.accessToken)
    expect(counts.locks).toBe(1)
    expect(p.endpoint.counters.refresh).toBe(1)
  })

  it('answers late callers holding the replaced token from memory, until recentMs has passed', async () => {
    const { clock, store, counts } = counted()
    const p = parts({ clock, store })
    const grant = await storedGrant(p)
    const fresh = await p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })
    counts.reads = 0
    expect(await p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })).toEqual(fresh)
    expect(counts.reads).toBe(0)
    clock.advance(10_000)
    // Past the memo: read again; the stored token is not the rejected one, so no second refresh.
    expect(await p.access.get(grant.id, { rejectedAccessToken: grant.accessToken })).toEqual(fresh)
    expect(counts.reads).toBe(1)
    expect(p.endpoint.counters.refresh).toBe(1)
  })

  it('keeps the memo bounded (oldest out) and forgets a grant when told', async () => {
    const { clock, store, counts } = counted()
    const p = parts({ clock, store })
    const access = createAccessTokens({ ...p, maxRecent: 2 })
    const grants = [await storedGrant(p), await storedGrant(p), await storedGrant(p)]
    for (const g of grants) await access.get(g.id, { rejectedAccessToken: g.accessToken })
    const readsFor = async (index: number): Promise<number> => {
      const g = grants[index] as (typeof grants)[number]
      const before = counts.reads
      await access.get(g.id, { rejectedAccessToken: g.accessToken })
      return counts.reads - before
    }
    expect(await readsFor(0)).toBe(1)
    expect(await readsFor(2)).toBe(0)
    access.forget((grants[2] as (typeof grants)[number]).id)
    expect(await readsFor(2)).toBe(1)
    expect(p.endpoint.counters.refresh).toBe(3)
  })

  it('reports a grant that is gone as grant_not_found', async () => {
    const p = parts()
    await expect(p.access.get('missing')).rejects.toMatchObject({ code: 'grant_not_found' })
  })
})
