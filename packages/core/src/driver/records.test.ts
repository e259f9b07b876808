import { describe, expect, it } from 'vitest'
import type { LoginTransaction } from '../machine.ts'
import { memoryStore } from '../memory-store.ts'
import type { StoragePort } from '../ports.ts'
import { failure } from '../test/failure.ts'
import { createFakeClock } from '../testing.ts'
import { createRecords, grantInfo } from './records.ts'

const grant = {
  id: 'g1',
  origin: 'https://acme.my.workfront.com',
  accessToken: 'session-secret',
  refreshToken: 'refresh-secret',
  tokenType: 'sessionID',
  wid: null,
  createdAt: 1,
  obtainedAt: 1,
  expiresAt: null,
  refreshCount: 0,
}

const transaction: LoginTransaction = {
  state: 's1',
  codeVerifier: null,
  expectedOrigin: null,
  returnTo: '/',
  createdAt: 1,
  browserBinding: null,
}

describe('records', () => {
  it('stores grants under grant:<id> with compare-and-set and hands back the winner on conflict', async () => {
    const store = memoryStore()
    const records = createRecords(store, { grantTtlMs: null })
    expect(await records.saveGrant(grant, null)).toEqual({ ok: true, version: 1 })
    expect(JSON.parse((await store.getVersioned('grant:g1'))?.value ?? '')).toEqual(grant)
    const newer = { ...grant, accessToken: 'newer' }
    expect(await records.saveGrant(newer, 1)).toEqual({ ok: true, version: 2 })
    expect(await records.saveGrant(grant, 1)).toEqual({ ok: false, current: { grant: newer, version: 2 } })
    expect(await records.loadGrant('g1')).toEqual({ grant: newer, version: 2 })
    await records.deleteGrant('g1')
    expect(await records.loadGrant('g1')).toBeNull()
    expect(await records.saveGrant(grant, 5)).toEqual({ ok: false, current: null })
  })

  it('renews the grant TTL on every write, or keeps grants forever with null', async () => {
    const clock = createFakeClock()
    const store = memoryStore({ clock })
    const expiring = createRecords(store, { grantTtlMs: 1_000 })
    await expiring.saveGrant(grant, null)
    clock.advance(900)
    await expiring.saveGrant(grant, 1)
    clock.advance(900)
    expect(await expiring.loadGrant('g1')).not.toBeNull()
    clock.advance(200)
    expect(await expiring.loadGrant('g1')).toBeNull()
    await createRecords(store, { grantTtlMs: null }).saveGrant(grant, null)
    clock.advance(10 ** 12)
    expect(await expiring.loadGrant('g1')).not.toBeNull()
  })

  it('peeks at a login transaction without using it up; take uses it up', async () => {
    const records = createRecords(memoryStore(), { grantTtlMs: null })
    await records.saveTransaction(transaction, 60_000)
    expect(await records.peekTransaction('s1')).toEqual(transaction)
    expect(await records.takeTransaction('s1')).toEqual(transaction)
    expect(await records.peekTransaction('s1')).toBeNull()
    expect(await records.takeTransaction('s1')).toBeNull()
  })

  it('turns any storage failure into store_unavailable, without the failure text', async () => {
    const broken = Object.fromEntries(
      Object.keys(memoryStore()).map((name) => [
        name,
        async () => {
          throw new Error('ECONNREFUSED redis://user:password@10.0.0.1')
        },
      ]),
    ) as unknown as StoragePort
    const records = createRecords(broken, { grantTtlMs: null })
    for (const call of [
      records.loadGrant('g1'),
      records.saveGrant(grant, null),
      records.deleteGrant('g1'),
      records.saveTransaction(transaction, 1),
      records.peekTransaction('s1'),
      records.takeTransaction('s1'),
    ]) {
      const error = await failure(call)
      expect(error.code).toBe('store_unavailable')
      expect(JSON.stringify(error)).not.toContain('password')
    }
  })

  it('grant info carries no token', () => {
    const info = JSON.stringify(grantInfo(grant))
    expect(info).not.toContain('secret')
    expect(JSON.parse(info)).toMatchObject({ id: 'g1', refreshCount: 0 })
  })

  // Issue #21 finding 6: the core retried a read that the Redis store had already retried, so a hung Redis
  // cost four timeouts per request. The store owns retries; the core asks once.
  it('asks the store once per read or write and leaves retrying to it', async () => {
    const inner = memoryStore()
    await inner.compareAndSet('grant:g1', JSON.stringify(grant), { expectedVersion: null })
    await inner.set('tx:s1', JSON.stringify(transaction))
    const calls = { getVersioned: 0, get: 0, compareAndSet: 0 }
    const failing: StoragePort = {
      ...inner,
      async getVersioned() {
        calls.getVersioned++
        throw new Error('socket hang up')
      },
      async get() {
        calls.get++
        throw new Error('socket hang up')
      },
      async compareAndSet() {
        calls.compareAndSet++
        throw new Error('socket hang up')
      },
    }
    const records = createRecords(failing, { grantTtlMs: null })
    expect((await failure(records.loadGrant('g1'))).code).toBe('store_unavailable')
    expect((await failure(records.peekTransaction('s1'))).code).toBe('store_unavailable')
    expect((await failure(records.saveGrant(grant, 1))).code).toBe('store_unavailable')
    expect(calls).toEqual({ getVersioned: 1, get: 1, compareAndSet: 1 })
  })
})
