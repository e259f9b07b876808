/**
 * The store inside workerd against real SQLite-backed Durable Objects (Miniflare): the core's storage
 * contract, placement, alarms, waiters, and failures of the object.
 */

import { listDurableObjectIds, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { isWorkfrontOAuthError, type WorkfrontOAuthError } from '@workfront-oauth/core'
import { storageContract } from '@workfront-oauth/core/testing'
import { eventually } from '@workfront-oauth/test-kit'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WorkfrontOAuthStore } from './object.ts'
import { durableObjectStore, objectName } from './store.ts'
import { SECRET_IN_OBJECT_ERROR } from './test/worker.ts'

/** A loaded 2-core machine can hold a call for seconds: only the timeout tests use a short bound. */
const PATIENT_MS = 60_000
/** Real time: the Durable Object reads workerd's own clock (`Date.now()`), which no fake clock reaches. */
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
let n = 0
const unique = (label: string): string => `${label}-${Date.now()}-${++n}`

describe('inside workerd', () => {
  it('runs in the Workers runtime', () => {
    expect(navigator.userAgent).toBe('Cloudflare-Workers')
  })
})

storageContract(
  'Durable Objects inside workerd',
  { describe, it, expect, beforeEach, afterEach },
  async () => {
    const store = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    return { store, advance: sleep, cleanup: () => store.close() }
  },
)

/** The object that holds `key`, through a stub of its own. */
const stubOf = (key: string): DurableObjectStub<WorkfrontOAuthStore> =>
  env.STORE.get(env.STORE.idFromName(objectName(key)))

/** The rows the object holds, read inside it; `null` when its storage was deleted (no tables). */
function rows(key: string): Promise<{ entries: number; locks: number } | null> {
  return runInDurableObject(stubOf(key), (_, state) => {
    const tables = state.storage.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name IN ('entries', 'locks')")
      .one().n
    if (tables === 0) return null
    const count = (table: string): number =>
      state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${table}`).one().n
    return { entries: count('entries'), locks: count('locks') }
  })
}

const alarmOf = (key: string): Promise<number | null> =>
  runInDurableObject(stubOf(key), (_, state) => state.storage.getAlarm())

describe('placement', () => {
  it('puts a grant, its lock and its sub-keys in one object, and each login transaction in its own', async () => {
    expect(objectName('grant:abc')).toBe('grant:abc')
    expect(objectName('grant:abc:near-cache')).toBe('grant:abc')
    expect(objectName('tx:s1')).toBe('tx:s1')
    expect(objectName('plain')).toBe('plain')

    const store = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    const grant = `grant:${unique('placed')}`
    await store.compareAndSet(grant, 'g', { expectedVersion: null })
    await store.acquireLock(grant, { owner: 'o', leaseMs: 30_000 })
    await store.set(`${grant}:extra`, 'x')
    const txs = Array.from({ length: 5 }, () => `tx:${unique('state')}`)
    for (const tx of txs) await store.set(tx, 'login', { ttlMs: 60_000 })
    // The objects that exist, by name (other test files make objects of their own at the same time).
    const ids = new Set((await listDurableObjectIds(env.STORE)).map((id) => id.toString()))
    const exists = (name: string): boolean => ids.has(env.STORE.idFromName(name).toString())
    expect([grant, ...txs].filter(exists)).toEqual([grant, ...txs])
    expect(exists(`${grant}:extra`)).toBe(false)
    expect(await rows(grant)).toEqual({ entries: 2, locks: 1 })
    expect(await rows(txs[0] as string)).toEqual({ entries: 1, locks: 0 })
  })
})

describe('location hint', () => {
  it('creates objects with the hint it was given', async () => {
    const hints: unknown[] = []
    const recording = {
      idFromName: (name: string) => env.STORE.idFromName(name),
      get: (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) => {
        hints.push(options?.locationHint)
        return env.STORE.get(id, options)
      },
    } as unknown as DurableObjectNamespace<WorkfrontOAuthStore>
    const store = durableObjectStore({ namespace: recording, locationHint: 'weur' })
    await store.set(`tx:${unique('hint')}`, 'v', { ttlMs: 60_000 })
    await durableObjectStore({ namespace: recording }).get(`tx:${unique('nohint')}`)
    expect(hints).toEqual(['weur', undefined])
  })
})

describe('alarms', () => {
  it('delete expired login transactions and grants, and the storage of an object left empty', async () => {
    const store = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    const tx = `tx:${unique('expiring')}`
    const grant = `grant:${unique('expiring')}`
    const kept = `grant:${unique('kept')}`
    await store.set(tx, 'login', { ttlMs: 300 })
    await store.compareAndSet(grant, 'g', { expectedVersion: null, ttlMs: 300 })
    await store.acquireLock(grant, { owner: 'o', leaseMs: 200 })
    await store.compareAndSet(kept, 'g', { expectedVersion: null, ttlMs: 60_000 })
    await store.set(`${kept}:short`, 'x', { ttlMs: 300 })

    // Workerd runs the alarms by itself once their time has come: wait until it did.
    await eventually(async () => (await rows(tx)) === null && (await rows(grant)) === null)
    expect(await rows(tx)).toBeNull()
    expect(await rows(grant)).toBeNull()
    expect(await alarmOf(grant)).toBeNull()
    await eventually(async () => (await rows(kept))?.entries === 1)
    // The object that still holds a grant keeps it, and an alarm for its expiry.
    expect(await rows(kept)).toEqual({ entries: 1, locks: 0 })
    expect(await store.getVersioned(kept)).toEqual({ value: 'g', version: 1 })
    expect(await alarmOf(kept)).toBeGreaterThan(Date.now() + 50_000)

    // An emptied object comes back to life on the next write.
    expect(await store.get(tx)).toBeNull()
    await store.set(tx, 'again')
    expect(await store.get(tx)).toBe('again')
  })

  it('tidy an object emptied by take or delete, and never return expired values before they run', async () => {
    const store = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    const tx = `tx:${unique('taken')}`
    await store.set(tx, 'login', { ttlMs: 60_000 })
    expect(await store.take(tx)).toBe('login')
    // The object asked for an alarm right away; run it now if it has not run yet. Workerd may be running it
    // by itself at that moment (then there is nothing to run here): wait until it is done.
    await runDurableObjectAlarm(stubOf(tx))
    await eventually(async () => (await rows(tx)) === null)
    expect(await rows(tx)).toBeNull()
    expect(await alarmOf(tx)).toBeNull()

    // Expired but not yet swept (the alarm is not run here): never returned.
    const grant = `grant:${unique('unswept')}`
    await store.compareAndSet(grant, 'g', { expectedVersion: null, ttlMs: 1 })
    await store.set(`${grant}:tx`, 'v', { ttlMs: 1 })
    await sleep(20)
    expect(await store.getVersioned(grant)).toBeNull()
    expect(await store.get(`${grant}:tx`)).toBeNull()
    expect(await store.take(`${grant}:tx`)).toBeNull()
    expect(await store.compareAndSet(grant, 'new', { expectedVersion: null })).toEqual({
      ok: true,
      version: 1,
    })
  })
})

describe('locks and waiters', () => {
  it('wakes waiters of separately created stores when the lease runs out, without a release', async () => {
    const key = `grant:${unique('lease')}`
    await durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS }).acquireLock(key, {
      owner: 'gone',
      leaseMs: 300,
    })
    const waits = Array.from({ length: 5 }, () =>
      durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS }).waitForUnlock(key, {
        timeoutMs: 60_000,
      }),
    )
    await Promise.all(waits)
    const next = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    expect(await next.acquireLock(key, { owner: 'next', leaseMs: 30_000 })).toBe(true)
    expect(await next.extendLock(key, { owner: 'gone', leaseMs: 30_000 })).toBe(false)
    expect(await next.releaseLock(key, { owner: 'gone' })).toBe(false)
    expect(await next.releaseLock(key, { owner: 'next' })).toBe(true)
  })

  it('returns from a wait at its timeout while the lock is still held', async () => {
    const store = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    const key = `grant:${unique('timeout')}`
    await store.acquireLock(key, { owner: 'a', leaseMs: 60_000 })
    await store.waitForUnlock(key, { timeoutMs: 50 })
    expect(await store.acquireLock(key, { owner: 'b', leaseMs: 60_000 })).toBe(false)
  })
})

describe('failures', () => {
  const namespace = env.BROKEN as unknown as DurableObjectNamespace<WorkfrontOAuthStore>
  // Short, for the test of an object that never answers; the others must not race it on a loaded machine.
  const broken = durableObjectStore({ namespace, operationTimeoutMs: 300 })
  const throwing = durableObjectStore({ namespace, operationTimeoutMs: PATIENT_MS })

  async function failure(promise: Promise<unknown>): Promise<WorkfrontOAuthError> {
    const error = await promise.then(
      () => new Error('resolved'),
      (e: unknown) => e,
    )
    if (!isWorkfrontOAuthError(error)) throw error
    return error
  }

  it('an object that throws: store_unavailable, its message only in the cause', async () => {
    for (const call of [
      () => throwing.get('tx:a'),
      () => throwing.take('tx:a'),
      () => throwing.set('tx:a', 'v'),
      () => throwing.getVersioned('grant:a'),
      () => throwing.compareAndSet('grant:a', 'v', { expectedVersion: null }),
      () => throwing.acquireLock('grant:a', { owner: 'o', leaseMs: 1000 }),
    ]) {
      const error = await failure(call())
      expect(error.code).toBe('store_unavailable')
      expect(error.message).toMatch(/^Durable Object store: \w+ failed: the object threw \(Error\)$/)
      expect(JSON.stringify(error)).not.toContain(SECRET_IN_OBJECT_ERROR)
      expect(String(error)).not.toContain(SECRET_IN_OBJECT_ERROR)
    }
  })

  it('an object that does not answer: store_unavailable after the operation timeout', async () => {
    const error = await failure(broken.get('tx:silent'))
    expect(error.code).toBe('store_unavailable')
    expect(error.message).toBe('Durable Object store: get failed: no answer within 300 ms')
    const wait = await failure(broken.waitForUnlock('grant:silent', { timeoutMs: 100 }))
    expect(wait.message).toBe('Durable Object store: waitForUnlock failed: no answer within 400 ms')
  })

  it('an object the runtime reports overloaded or reset: store_unavailable naming that', async () => {
    // Workerd rejects the call with these flags before it reaches the object; only the namespace is ours.
    const refusing = (flags: Record<string, boolean>): DurableObjectNamespace<WorkfrontOAuthStore> =>
      ({
        idFromName: (name: string) => env.STORE.idFromName(name),
        get: () =>
          new Proxy(
            {},
            {
              get: () => () =>
                Promise.reject(Object.assign(new Error('Durable Object is overloaded'), flags)),
            },
          ),
      }) as unknown as DurableObjectNamespace<WorkfrontOAuthStore>
    const overloaded = durableObjectStore({ namespace: refusing({ overloaded: true, retryable: false }) })
    expect((await failure(overloaded.getVersioned('grant:a'))).message).toBe(
      'Durable Object store: getVersioned failed: the object is overloaded',
    )
    const reset = durableObjectStore({ namespace: refusing({ retryable: true }) })
    expect((await failure(reset.acquireLock('grant:a', { owner: 'o', leaseMs: 1000 }))).message).toBe(
      'Durable Object store: acquireLock failed: the object was reset or could not be reached (retryable)',
    )
  })

  it('a key holding the other kind of value: store_unavailable, without the key', async () => {
    const store = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    const key = `grant:${unique('mixed')}`
    await store.compareAndSet(key, 'grant', { expectedVersion: null })
    const error = await failure(store.get(key))
    expect(error.code).toBe('store_unavailable')
    expect(JSON.stringify(error)).not.toContain(key)
    expect(await store.getVersioned(key)).toEqual({ value: 'grant', version: 1 })
  })

  it('rejects bad options with invalid_options, before reaching the object', async () => {
    expect(() => durableObjectStore({ namespace: undefined as never })).toThrow(/namespace/)
    expect(() => durableObjectStore({ namespace: env.STORE, operationTimeoutMs: 0 })).toThrow(/positive/)
    const store = durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS })
    for (const call of [
      () => store.set('tx:x', 'v', { ttlMs: Number.NaN }),
      () => store.compareAndSet('grant:x', 'v', { expectedVersion: 1.5 }),
      () => store.acquireLock('grant:x', { owner: 'o', leaseMs: -1 }),
      () => store.waitForUnlock('grant:x', { timeoutMs: -1 }),
    ]) {
      expect((await failure(call())).code).toBe('invalid_options')
    }
  })
})
