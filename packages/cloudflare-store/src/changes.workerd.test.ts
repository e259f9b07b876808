/**
 * Changes told to every isolate's near cache inside workerd: the relay object, the sockets of the isolates
 * and what they are told when a socket drops. The "isolates" are the test Worker's named clients (each its
 * own store and near cache, kept across requests, its socket opened by one of its own requests); their
 * near caches keep a grant for 10 minutes, so that only a told change can explain a refusal. Waits are
 * bounded by attempts, never timed assertions.
 */

import { runInDurableObject } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { createWorkfrontOAuth, type WorkfrontOAuth } from '@workfront-oauth/core'
import { eventually } from '@workfront-oauth/test-kit'
import {
  createWorkfrontMock,
  DEMO_USER,
  DEMO_WEB_APP,
  type WorkfrontMock,
} from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CHANGES_OBJECT, MAX_LISTENERS } from './changes.ts'
import type { WorkfrontOAuthStore } from './object.ts'
import { type DurableObjectStore, durableObjectStore } from './store.ts'
import { closeIsolates, setUpStorm } from './test/worker.ts'

const PATIENT_MS = 60_000
const BASE_URL = 'https://acme.my.workfront.com'
let n = 0
const unique = (label: string): string => `${label}-${Date.now()}-${++n}`

const relay = (): DurableObjectStub<WorkfrontOAuthStore> =>
  env.STORE.get(env.STORE.idFromName(CHANGES_OBJECT))

/** The open sockets the relay holds, read inside it (a socket it closed may wait a moment for the answer). */
const relaySockets = (): Promise<number> =>
  runInDurableObject(
    relay(),
    (_, state) => state.getWebSockets().filter((ws) => ws.readyState === WebSocket.OPEN).length,
  )

/** A namespace of its own in this isolate (so a socket of its own), on the same objects. */
function separateNamespace(): DurableObjectNamespace<WorkfrontOAuthStore> {
  return {
    idFromName: (name: string) => env.STORE.idFromName(name),
    get: (id: DurableObjectId, options?: DurableObjectNamespaceGetDurableObjectOptions) =>
      env.STORE.get(id, options),
  } as unknown as DurableObjectNamespace<WorkfrontOAuthStore>
}

const stores: DurableObjectStore[] = []
function store(namespace = env.STORE): DurableObjectStore {
  const created = durableObjectStore({ namespace, operationTimeoutMs: PATIENT_MS })
  stores.push(created)
  return created
}

/** A store and what its one listener was told, in order. */
function watched(namespace = env.STORE): { store: DurableObjectStore; told: (string | null)[] } {
  const told: (string | null)[] = []
  const watching = store(namespace)
  watching.watchChanges?.((key) => told.push(key))
  return { store: watching, told }
}

const nulls = (told: (string | null)[]): number => told.filter((key) => key === null).length

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()))
  await closeIsolates()
})

describe('logout, revocation and rotation reach the other isolates', () => {
  let mock: WorkfrontMock

  beforeEach(() => {
    mock = createWorkfrontMock({ apps: [{ ...DEMO_WEB_APP }] })
    setUpStorm({
      mock,
      baseUrl: BASE_URL,
      clientId: DEMO_WEB_APP.clientId,
      clientSecret: DEMO_WEB_APP.clientSecrets?.[0] as string,
      redirectUri: DEMO_WEB_APP.redirectUris[0] as string,
    })
  })

  function client(): WorkfrontOAuth {
    return createWorkfrontOAuth({
      clientId: DEMO_WEB_APP.clientId,
      clientSecret: DEMO_WEB_APP.clientSecrets?.[0] as string,
      redirectUri: DEMO_WEB_APP.redirectUris[0] as string,
      baseUrl: BASE_URL,
      store: store(),
      http: (input, init) => mock.fetch(new Request(input, init)),
      nearCache: false,
    })
  }

  async function signIn(): Promise<string> {
    const oauth = client()
    const { url } = await oauth.startLogin()
    const callback = await completeAuthorization(mock, url, {
      username: DEMO_USER.username,
      password: DEMO_USER.password,
    })
    return (await oauth.handleCallback(callback)).grant.id
  }

  /** One request to a named isolate of the test Worker: its access token, or its error code. */
  async function onIsolate(
    name: string,
    action: 'token' | 'logout',
    grantId: string,
  ): Promise<{ accessToken?: string; error?: string }> {
    const response = await exports.default.fetch(
      new Request(`https://worker.test/isolate/${name}/${action}?grant=${grantId}`),
    )
    return response.json()
  }

  it('a logout on isolate A is refused on isolate B long before the maximum age', async () => {
    const grantId = await signIn()
    const token = (await onIsolate('a', 'token', grantId)).accessToken
    expect(token).toEqual(expect.any(String))
    expect(await onIsolate('b', 'token', grantId)).toEqual({ accessToken: token })
    // The control: an isolate without changes holds the grant for its maximum age (10 minutes).
    expect(await onIsolate('c-nochanges', 'token', grantId)).toEqual({ accessToken: token })

    expect(await onIsolate('a', 'logout', grantId)).toEqual({ loggedOut: true })
    await eventually(async () => (await onIsolate('b', 'token', grantId)).error === 'grant_not_found')
    expect(await onIsolate('c-nochanges', 'token', grantId)).toEqual({ accessToken: token })
  })

  it('a refresh on isolate A reaches isolate B, which serves the new session from then on', async () => {
    const grantId = await signIn()
    const first = (await onIsolate('a', 'token', grantId)).accessToken
    expect(await onIsolate('b', 'token', grantId)).toEqual({ accessToken: first })
    // A refreshes after a 401 from Workfront (the session expired there): rotation, a new version.
    mock.expireAllSessions()
    const refreshing = createWorkfrontOAuth({
      clientId: DEMO_WEB_APP.clientId,
      clientSecret: DEMO_WEB_APP.clientSecrets?.[0] as string,
      redirectUri: DEMO_WEB_APP.redirectUris[0] as string,
      baseUrl: BASE_URL,
      store: store(),
      http: (input, init) => mock.fetch(new Request(input, init)),
    })
    const response = await refreshing.fetch(grantId, 'proj/search')
    await response.body?.cancel()
    expect(response.status).toBe(200)
    const second = (await refreshing.getAccessToken(grantId)).accessToken
    expect(second).not.toBe(first)
    await eventually(async () => (await onIsolate('b', 'token', grantId)).accessToken === second)
  })
})

describe('the isolate socket', () => {
  it('is told null once subscribed, when the socket drops, and once it is back; changes are heard again', async () => {
    const { store: watching, told } = watched()
    const writer = store()
    // The first operation opens the socket and waits for it: the relay confirmed it once it answers.
    await watching.get(`tx:${unique('open')}`)
    expect(told).toEqual([null])
    const before = `grant:${unique('before')}`
    await writer.compareAndSet(before, 'v', { expectedVersion: null })
    await eventually(() => told.includes(before))

    // The relay closes every socket (as a restart of the relay does).
    await runInDurableObject(relay(), (_, state) => {
      for (const ws of state.getWebSockets()) ws.close(1012, 'restarting')
    })
    await eventually(() => nulls(told) === 2)

    // The next operations open a new socket (one attempt per second at most): once open, null again.
    await eventually(async () => {
      await watching.get(`tx:${unique('reopen')}`)
      return nulls(told) === 3
    })
    const after = `grant:${unique('after')}`
    await writer.delete(after)
    await eventually(() => told.includes(after))
    expect(told.filter((key) => key === before || key === after)).toEqual([before, after])
  })

  it('is told null when the relay is reset, and opens again', async () => {
    const { store: watching, told } = watched()
    await watching.get(`tx:${unique('open')}`)
    expect(told).toEqual([null])
    // An abort resets the object: its sockets drop without a close frame (1006 for the isolate).
    await expect(runInDurableObject(relay(), (_, state) => state.abort('reset by the test'))).rejects.toThrow(
      'reset by the test',
    )
    await eventually(() => nulls(told) === 2)
    await eventually(async () => {
      await watching.get(`tx:${unique('reopen')}`)
      return nulls(told) === 3
    })
    const key = `grant:${unique('heard')}`
    await store().compareAndSet(key, 'v', { expectedVersion: null })
    await eventually(() => told.includes(key))
  })

  it('is one per namespace and isolate, however many stores are built on it', async () => {
    const before = await relaySockets()
    const namespace = separateNamespace()
    const built = Array.from({ length: 5 }, () => watched(namespace))
    await Promise.all(built.map(({ store: s }) => s.get(`tx:${unique('shared')}`)))
    await eventually(() => built.every(({ told }) => told.includes(null)))
    expect(await relaySockets()).toBe(before + 1)
    const key = `grant:${unique('shared')}`
    await (built[0] as { store: DurableObjectStore }).store.compareAndSet(key, 'v', { expectedVersion: null })
    await eventually(() => built.every(({ told }) => told.includes(key)))
  })

  it(`keeps at most ${MAX_LISTENERS} listeners per namespace and isolate; later ones are told null at once`, async () => {
    const namespace = separateNamespace()
    const kept = Array.from({ length: MAX_LISTENERS }, () => watched(namespace))
    expect(kept.every(({ told }) => told.length === 0)).toBe(true)
    const refused = watched(namespace)
    expect(refused.told).toEqual([null])
    // A stopped listener frees its place.
    const told: (string | null)[] = []
    const stop = store(namespace).watchChanges?.((key) => told.push(key))
    expect(told).toEqual([null])
    stop?.()
    await (kept[0] as { store: DurableObjectStore }).store.close()
    const next = watched(namespace)
    expect(next.told).toEqual([])
  })

  it('close() tells its listeners null and closes the socket at the relay; later listeners are told null at once', async () => {
    const namespace = separateNamespace()
    const before = await relaySockets()
    const { store: watching, told } = watched(namespace)
    await watching.get(`tx:${unique('open')}`)
    expect(told).toEqual([null])
    expect(await relaySockets()).toBe(before + 1)

    await watching.close()
    expect(told).toEqual([null, null])
    await eventually(async () => (await relaySockets()) === before)
    const late: (string | null)[] = []
    watching.watchChanges?.((key) => late.push(key))
    expect(late).toEqual([null])
    // Operations work as before, and no socket is opened for a closed store.
    const key = `grant:${unique('closed')}`
    expect(await watching.compareAndSet(key, 'v', { expectedVersion: null })).toEqual({
      ok: true,
      version: 1,
    })
    expect(await relaySockets()).toBe(before)
  })

  it('a relay that cannot be reached: listeners are told null, and operations are answered as before', async () => {
    // BrokenStore has no fetch handler: the upgrade fails. Its operations throw as they always did.
    const broken = env.BROKEN as unknown as DurableObjectNamespace<WorkfrontOAuthStore>
    const { store: watching, told } = watched(broken)
    const error = await watching.get('tx:a').then(
      () => null,
      (e: unknown) => e as { code?: string },
    )
    expect(error?.code).toBe('store_unavailable')
    expect(told).toEqual([null])
  })

  it('without changes: no watchChanges, no socket', async () => {
    const before = await relaySockets()
    const quiet = durableObjectStore({ namespace: separateNamespace(), changes: false })
    expect(quiet.watchChanges).toBeUndefined()
    await quiet.compareAndSet(`grant:${unique('quiet')}`, 'v', { expectedVersion: null })
    expect(await relaySockets()).toBe(before)
  })
})
