/**
 * The part of the storage contract that only a refresh shows: what the refresh lock and the fenced writes
 * built on a `StoragePort` must guarantee when a lock holder is slow (WORKFRONT.md "Refresh under
 * concurrency"; issue #21 finding 1). Run by `storageContract()`, so every store passes it.
 *
 * The holder is starved on purpose: its clock's timers never fire (it cannot extend its lease, as a process
 * stopped or starved cannot), and Workfront's answer, already applied (the refresh token rotated), is held
 * on its way back until the test lets it go. Meanwhile the store's time passes its lease and other clients
 * ask for the grant.
 */
import { createWorkfrontOAuth, type WorkfrontOAuth } from './client.ts'
import type { Clock, HTTPClient, StoragePort } from './ports.ts'
import { createTokenEndpoint, type TokenEndpoint } from './test/token-endpoint.ts'

/** The harness and test functions `storageContract()` runs this with. */
export interface RefreshContractAPI {
  it(name: string, fn: () => Promise<void>, timeout?: number): void
  expect: (value: unknown) => { toBe(expected: unknown): void; toEqual(expected: unknown): void }
  /** The store under test, and how to let its time pass. */
  harness(): { store: StoragePort; advance(ms: number): Promise<void> }
}

const BASE = 'https://acme.my.workfront.com'
/** The starved holder's lease: short, so that the store's time passes it quickly. */
const HOLDER_LEASE_MS = 200
const OTHERS = 3
/** A store under a loaded machine may take seconds per call; no assertion here is about time. */
const PATIENT_MS = 120_000

const realDelay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Real time, and timers that never fire: a process that is stopped or starved runs none of them. */
const starvedClock: Clock = { now: () => Date.now(), setTimer: () => () => undefined }

function client(
  store: StoragePort,
  endpoint: TokenEndpoint,
  extra: { clock?: Clock; http?: HTTPClient; lockLeaseMs?: number } = {},
): WorkfrontOAuth {
  return createWorkfrontOAuth({
    clientId: 'client-1',
    clientSecret: 'secret-1',
    redirectUri: 'https://app.example.com/auth/callback',
    baseUrl: BASE,
    store,
    http: extra.http ?? endpoint.fetch,
    nearCache: false,
    lockWaitMs: PATIENT_MS,
    ...(extra.clock ? { clock: extra.clock } : {}),
    ...(extra.lockLeaseMs ? { lockLeaseMs: extra.lockLeaseMs } : {}),
  })
}

async function signIn(
  oauth: WorkfrontOAuth,
  endpoint: TokenEndpoint,
): Promise<{ grantId: string; accessToken: string }> {
  const { url, state } = await oauth.startLogin()
  const code = endpoint.issueCode(new URL(url).searchParams.get('code_challenge'))
  const { grant } = await oauth.handleCallback(new URLSearchParams({ code, state }))
  const { accessToken } = await oauth.getAccessToken(grant.id)
  return { grantId: grant.id, accessToken }
}

/** Registers the slow-holder tests; `api.harness()` is the store of the current test. */
export function refreshContract(api: RefreshContractAPI): void {
  const { it, expect } = api

  it(
    'a lock holder starved past its lease after Workfront rotated: the grant survives, its answer is what everyone gets',
    async () => {
      const { store, advance } = api.harness()
      const endpoint = createTokenEndpoint()
      const { grantId, accessToken } = await signIn(client(store, endpoint), endpoint)
      const key = `grant:${grantId}`

      let answered: (tokens: { access: string; refresh: string }) => void = () => undefined
      const answer = new Promise<{ access: string; refresh: string }>((resolve) => {
        answered = resolve
      })
      let letGo = (): void => undefined
      const released = new Promise<void>((resolve) => {
        letGo = resolve
      })
      const holder = client(store, endpoint, {
        clock: starvedClock,
        lockLeaseMs: HOLDER_LEASE_MS,
        async http(input, init) {
          const response = await endpoint.fetch(input, init)
          const body = (await response.clone().json()) as { access_token?: string; refresh_token?: string }
          if (body.refresh_token)
            answered({ access: body.access_token as string, refresh: body.refresh_token })
          await released
          return response
        },
      })
      const fromHolder = holder.getAccessToken(grantId, { rejectedAccessToken: accessToken })
      // Workfront rotated the refresh token; the only copy of the new one is on its way to the starved holder.
      const rotated = await answer
      await advance(HOLDER_LEASE_MS + 100)

      const others = Array.from({ length: OTHERS }, () =>
        client(store, endpoint).getAccessToken(grantId, { rejectedAccessToken: accessToken }),
      )
      const settled = Promise.allSettled(others)
      let done = false
      void settled.then(() => {
        done = true
      })
      // Until another client has taken over the lock the holder's lease lost (or, on a driver that refreshes
      // with what it read, until they have all given up).
      for (;;) {
        if (done) break
        if (!(await store.acquireLock(key, { owner: 'contract-probe', leaseMs: 60_000 }))) break
        await store.releaseLock(key, { owner: 'contract-probe' })
        await realDelay(10)
      }
      letGo()

      const outcomes = (await Promise.allSettled([fromHolder, ...others])).map((outcome) =>
        outcome.status === 'fulfilled'
          ? outcome.value.accessToken
          : `error:${(outcome.reason as { code?: string }).code}`,
      )
      expect(outcomes).toEqual(Array(OTHERS + 1).fill(rotated.access))
      const record = await store.getVersioned(key)
      const grant = JSON.parse(record?.value ?? 'null') as {
        refreshToken?: string
        refreshStartedAt?: number
      } | null
      expect(grant?.refreshToken).toBe(rotated.refresh)
      expect(grant?.refreshStartedAt).toBe(undefined)
      // One refresh reached Workfront; nobody sent the rotated-away token.
      expect({ refresh: endpoint.counters.refresh, reuses: endpoint.counters.reuses }).toEqual({
        refresh: 1,
        reuses: 0,
      })
      expect(endpoint.activeRefreshTokens()).toEqual([rotated.refresh])
    },
    PATIENT_MS,
  )
}
