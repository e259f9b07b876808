/**
 * Refresh-token rotation under concurrency inside workerd (WORKFRONT.md "Refresh under concurrency"): the
 * core over this store against the Workfront mock with rotation on. The storm's requests go through the
 * test Worker's fetch handler, each in its own request context with its own client and stubs — as requests
 * spread over many isolates reach the grant's one object. The mock's counters are the judge of what
 * reached Workfront.
 *
 * The faults hold a client's I/O at chosen points (its token request, its store calls), never sleep to make
 * something happen: a holder whose I/O is held past its lease is what an abandoned or frozen request is to
 * everyone else.
 */

import { env, exports } from 'cloudflare:workers'
import {
  createWorkfrontOAuth,
  type HTTPClient,
  type StoragePort,
  type WorkfrontOAuth,
} from '@workfront-oauth/core'
import { createWorkfrontServerAuth } from '@workfront-oauth/core/server'
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  DEMO_WEB_APP,
  type MockApp,
  TOKEN_PATH,
  type WorkfrontMock,
} from '@workfront-oauth/workfront-mock'
import { completeAuthorization, DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { beforeEach, describe, expect, it } from 'vitest'
import { durableObjectStore } from './store.ts'
import { setUpStorm } from './test/worker.ts'

const BASE_URL = 'https://acme.my.workfront.com'
const REDIRECT_URI = DEMO_WEB_APP.redirectUris[0] as string
const ROTATING: MockApp = { ...DEMO_WEB_APP }
const NOT_ROTATING: MockApp = {
  clientId: 'no-rotation-client',
  clientSecrets: ['no-rotation-secret'],
  redirectUris: [REDIRECT_URI],
  type: 'web',
  rotation: false,
}
/** A loaded 2-core machine can hold a call for seconds; no test here is about the store's timeout. */
const PATIENT_MS = 60_000
/** Short, so that a held holder's lease runs out quickly; long enough for a live one on a busy machine. */
const SHORT_LEASE_MS = 1_000
/**
 * The refresh claim's lifetime in the abandoned-holder tests: past it a holder is taken for dead and its
 * refresh token sent again. (Within it, a holder's late answer is what everyone waits for: the storage
 * contract's slow-holder test, run on this store in `store.workerd.test.ts`.)
 */
const SHORT_CLAIM_MS = 2_000

let mock: WorkfrontMock

beforeEach(() => {
  mock = createWorkfrontMock({ apps: [ROTATING, NOT_ROTATING, { ...DEMO_M2M_APP }] })
})

interface Deferred<T = void> {
  promise: Promise<T>
  resolve(value: T): void
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((res) => {
    resolve = res
  })
  return { promise, resolve }
}

const toMock: HTTPClient = (input, init) => mock.fetch(new Request(input, init))

/** A client as one isolate has it: its own store (its own stubs), optionally its own HTTP port. */
function clientFor(
  app: MockApp,
  options: { store?: StoragePort; http?: HTTPClient; lockLeaseMs?: number; refreshClaimMs?: number } = {},
): WorkfrontOAuth {
  return createWorkfrontOAuth({
    clientId: app.clientId,
    clientSecret: app.clientSecrets?.[0] as string,
    redirectUri: REDIRECT_URI,
    baseUrl: BASE_URL,
    store: options.store ?? durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS }),
    http: options.http ?? toMock,
    ...(options.lockLeaseMs ? { lockLeaseMs: options.lockLeaseMs } : {}),
    ...(options.refreshClaimMs ? { refreshClaimMs: options.refreshClaimMs } : {}),
  })
}

/** Signs in through the mock's login and consent forms, then lets the session expire at the mock. */
async function signInAndExpire(app: MockApp): Promise<{ grantId: string; accessToken: string }> {
  const oauth = clientFor(app)
  const { url } = await oauth.startLogin()
  const callback = await completeAuthorization(mock, url, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  const { grant } = await oauth.handleCallback(callback)
  const { accessToken } = await oauth.getAccessToken(grant.id)
  mock.expireAllSessions()
  mock.resetCounters()
  return { grantId: grant.id, accessToken }
}

async function storedGrant(grantId: string): Promise<{ version: number; accessToken: string }> {
  const record = await durableObjectStore({
    namespace: env.STORE,
    operationTimeoutMs: PATIENT_MS,
  }).getVersioned(`grant:${grantId}`)
  if (!record) throw new Error('grant missing')
  return {
    version: record.version,
    accessToken: (JSON.parse(record.value) as { accessToken: string }).accessToken,
  }
}

/**
 * The port with its I/O held while `frozen`: every call waits for the thaw before it starts, as the calls of
 * a frozen isolate do. The store underneath is the real one.
 */
function freezable(store: StoragePort): StoragePort & { freeze(): void; thaw(): void } {
  let gate: Deferred | null = null
  const held =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (gate) await gate.promise
      return call(...args)
    }
  return {
    get: held(store.get),
    set: held(store.set),
    take: held(store.take),
    delete: held(store.delete),
    getVersioned: held(store.getVersioned),
    compareAndSet: held(store.compareAndSet),
    acquireLock: held(store.acquireLock),
    extendLock: held(store.extendLock),
    releaseLock: held(store.releaseLock),
    freeze() {
      gate ??= deferred()
    },
    thaw() {
      gate?.resolve()
      gate = null
    },
  }
}

/** An HTTP port that calls `hook` with each token request (and a way to send it to the mock). */
function hookedHTTP(hook: (forward: () => Promise<Response>) => Promise<Response>): HTTPClient {
  return (input, init) => {
    const request = new Request(input, init)
    const forward = () => mock.fetch(request)
    return new URL(request.url).pathname === TOKEN_PATH ? hook(forward) : forward()
  }
}

describe('JWT exchange storm in workerd (server jobs)', () => {
  it(
    '1,000 API requests on an expired server session, over 10 separately created clients: one exchange',
    async () => {
      const serverClient = () =>
        createWorkfrontServerAuth({
          clientId: DEMO_M2M_APP.clientId,
          clientSecret: DEMO_M2M_APP.clientSecrets[0] as string,
          customerId: DEMO_CUSTOMER_ID,
          userId: DEMO_USER.id,
          privateKey: DEMO_M2M_PRIVATE_KEY,
          baseUrl: BASE_URL,
          store: durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS }),
          http: toMock,
        })
      await serverClient().getAccessToken()
      mock.expireAllSessions()
      mock.resetCounters()
      // Real time: the mock's latency holds the refresh while workerd's calls (its own clock) pile up.
      mock.setLatency({ jwt: 40 })
      const isolates = Array.from({ length: 10 }, serverClient)
      const statuses = await Promise.all(
        Array.from({ length: 1000 }, async (_, i) => {
          const response = await (isolates[i % 10] as ReturnType<typeof serverClient>).fetch('proj/search')
          await response.body?.cancel()
          return response.status
        }),
      )
      expect(statuses.filter((status) => status !== 200)).toEqual([])
      expect(mock.counters().jwtExchanges).toEqual({ calls: 1, succeeded: 1 })
    },
    PATIENT_MS,
  )
})

describe('refresh storm in workerd', () => {
  it('1,000 authenticated requests on an expired grant, over 10 separately created clients: one refresh, no failure, no reuse', async () => {
    const { grantId, accessToken } = await signInAndExpire(ROTATING)
    // A token endpoint that takes a moment: the requests pile up behind the one refresh.
    // Real time: the mock's latency holds the refresh while workerd's calls (its own clock) pile up.
    mock.setLatency({ token: 40 })
    // Ten "isolates": each its own client (own in-process memo) and its own store (own stubs).
    const isolates = Array.from({ length: 10 }, () => clientFor(ROTATING))
    const statuses = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const response = await (isolates[i % 10] as WorkfrontOAuth).fetch(grantId, 'proj/search')
        await response.body?.cancel()
        return response.status
      }),
    )
    expect(statuses.filter((status) => status !== 200)).toEqual([])
    // The isolate that refreshed reads who signed in again, in the background (GET session, GET user/<id>).
    await Promise.all(isolates.map((isolate) => isolate.pendingWrites()))
    expect(mock.counters()).toMatchObject({
      tokenCalls: { authorization_code: 0, refresh_token: 1, other: 0 },
      refreshReuses: 0,
      apiCalls: { '200': 1002 },
    })
    const stored = await storedGrant(grantId)
    // One refresh: its claim (2), then the rotated tokens (3).
    expect(stored.version).toBe(3)
    expect(stored.accessToken).not.toBe(accessToken)
  })

  it('100 requests, each in its own request context with its own client and stubs: one refresh, no failure', async () => {
    const { grantId } = await signInAndExpire(ROTATING)
    setUpStorm({
      mock,
      baseUrl: BASE_URL,
      clientId: ROTATING.clientId,
      clientSecret: ROTATING.clientSecrets?.[0] as string,
      redirectUri: REDIRECT_URI,
    })
    // Real time: the mock's latency holds the refresh while workerd's calls (its own clock) pile up.
    mock.setLatency({ token: 40 })
    const answers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const response = await exports.default.fetch(`http://storm.test/api?grant=${grantId}`)
        return JSON.stringify(await response.json())
      }),
    )
    expect(answers.filter((answer) => answer !== '{"status":200}')).toEqual([])
    expect(mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 1 }, refreshReuses: 0 })
    expect((await storedGrant(grantId)).version).toBe(3)
  })

  it('200 callers on one client and 200 on separately created clients: one refresh, one new token for all', async () => {
    const { grantId, accessToken } = await signInAndExpire(ROTATING)
    // Real time: the mock's latency holds the refresh while workerd's calls (its own clock) pile up.
    mock.setLatency({ token: 40 })
    const shared = clientFor(ROTATING)
    const calls = [
      ...Array.from({ length: 200 }, () =>
        shared.getAccessToken(grantId, { rejectedAccessToken: accessToken }),
      ),
      ...Array.from({ length: 200 }, () =>
        clientFor(ROTATING).getAccessToken(grantId, { rejectedAccessToken: accessToken }),
      ),
    ]
    const tokens = new Set((await Promise.all(calls)).map((token) => token.accessToken))
    const stored = await storedGrant(grantId)
    expect([...tokens]).toEqual([stored.accessToken])
    expect(mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 1 }, refreshReuses: 0 })
  })
})

describe('a lock holder abandoned mid-refresh', () => {
  it('before its token request leaves: the lease runs out, the waiters wait out its claim, the next request refreshes once', async () => {
    const { grantId, accessToken } = await signInAndExpire(ROTATING)
    const arrived = deferred()
    const holderStore = freezable(
      durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS }),
    )
    const holder = clientFor(ROTATING, {
      store: holderStore,
      lockLeaseMs: SHORT_LEASE_MS,
      refreshClaimMs: SHORT_CLAIM_MS,
      // Its token request never leaves: the request was abandoned here.
      http: hookedHTTP(() => {
        arrived.resolve()
        return new Promise<never>(() => {})
      }),
    })
    void holder.getAccessToken(grantId, { rejectedAccessToken: accessToken }).catch(() => undefined)
    await arrived.promise
    // Nothing of it reaches the store any more: it cannot extend its lease.
    holderStore.freeze()

    // Twenty requests elsewhere wait inside the object; the lease running out wakes them. Its refresh claim
    // (written before the token request) may still be answered: they wait it out, then one refreshes.
    const others = await Promise.all(
      Array.from({ length: 20 }, () =>
        clientFor(ROTATING, { refreshClaimMs: SHORT_CLAIM_MS }).getAccessToken(grantId, {
          rejectedAccessToken: accessToken,
        }),
      ),
    )
    const stored = await storedGrant(grantId)
    // The holder's claim (2), the next holder's claim over it (3), its rotated tokens (4).
    expect(stored.version).toBe(4)
    expect(new Set(others.map((token) => token.accessToken))).toEqual(new Set([stored.accessToken]))
    expect(mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 1 }, refreshReuses: 0 })
  })

  it('after Workfront answered it, past its claim: the next request refreshes once, the late write is fenced off by the version', async () => {
    const { grantId, accessToken } = await signInAndExpire(NOT_ROTATING)
    const answered = deferred<string>()
    const release = deferred()
    const holderStore = freezable(
      durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS }),
    )
    const holder = clientFor(NOT_ROTATING, {
      store: holderStore,
      lockLeaseMs: SHORT_LEASE_MS,
      refreshClaimMs: SHORT_CLAIM_MS,
      http: hookedHTTP(async (forward) => {
        const response = await forward()
        answered.resolve(((await response.clone().json()) as { access_token: string }).access_token)
        await release.promise
        return response
      }),
    })
    const late = holder.getAccessToken(grantId, { rejectedAccessToken: accessToken })
    const holderSession = await answered.promise
    holderStore.freeze()
    release.resolve()
    // The lease runs out (the wait returns when it does).
    await durableObjectStore({ namespace: env.STORE, operationTimeoutMs: PATIENT_MS }).waitForUnlock(
      `grant:${grantId}`,
      {
        timeoutMs: 30_000,
      },
    )

    // It stays away past its claim's lifetime (a holder taken for dead): the next request refreshes.
    const next = await clientFor(NOT_ROTATING, { refreshClaimMs: SHORT_CLAIM_MS }).getAccessToken(grantId, {
      rejectedAccessToken: accessToken,
    })
    const afterNext = await storedGrant(grantId)
    expect(afterNext.version).toBe(4)
    expect(next.accessToken).toBe(afterNext.accessToken)
    expect(afterNext.accessToken).not.toBe(holderSession)

    // The holder comes back and writes with the version it read: refused; it adopts the stored grant.
    holderStore.thaw()
    expect((await late).accessToken).toBe(afterNext.accessToken)
    expect(await storedGrant(grantId)).toEqual(afterNext)
    expect(mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 2 }, refreshReuses: 0 })
  })
})
