/**
 * Who signed in, read again after each refresh (issue #20), end to end over the in-process Workfront mock:
 * the mock renames the user as an admin would (`updateUser`), its counters say which API calls were made,
 * and a gate in the HTTP port holds the user read at Workfront while the test looks at what the callers
 * and the store have meanwhile.
 */
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock, DEMO_USER, DEMO_WEB_APP } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import type { WorkfrontOAuth, WorkfrontOAuthOptions } from './client.ts'
import { createWorkfrontOAuth } from './client.ts'
import type { Instrumentation, OperationObserver } from './instrumentation.ts'
import type { Grant } from './machine.ts'
import { memoryStore } from './memory-store.ts'
import type { StoragePort } from './ports.ts'
import { failure } from './test/failure.ts'
import { hiccupStore } from './testing.ts'

const RENAMED = { name: 'Dana Renamed', email: 'dana@renamed.test' }

/** Holds the next `GET user/<id>` at the door of Workfront until released. */
function userReadGate() {
  let armed: { reached: () => void; released: Promise<void> } | null = null
  return {
    hold(): { reached: Promise<void>; release: () => void } {
      let reached = (): void => {}
      let release = (): void => {}
      const arrived = new Promise<void>((resolve) => {
        reached = resolve
      })
      const released = new Promise<void>((resolve) => {
        release = resolve
      })
      armed = { reached, released }
      return { reached: arrived, release }
    },
    async pass(request: Request): Promise<void> {
      if (armed === null || !/\/attask\/api\/[^/]+\/user\//.test(new URL(request.url).pathname)) return
      const gate = armed
      armed = null
      gate.reached()
      await gate.released
    },
  }
}

interface Harness {
  mock: WorkfrontMock
  store: StoragePort
  oauth: WorkfrontOAuth
  /** Another instance (another process) on the same store and Workfront. */
  client(options?: Partial<WorkfrontOAuthOptions>): WorkfrontOAuth
  gate: ReturnType<typeof userReadGate>
  logged: Array<[string, string, unknown]>
  /** The API paths Workfront was asked for, after `/attask/api/<version>/`. */
  api: string[]
}

function setup(options: Partial<WorkfrontOAuthOptions> = {}): Harness {
  const mock = createWorkfrontMock()
  const store = options.store ?? memoryStore()
  const gate = userReadGate()
  const logged: Harness['logged'] = []
  const api: string[] = []
  const client = (more: Partial<WorkfrontOAuthOptions> = {}): WorkfrontOAuth =>
    createWorkfrontOAuth({
      clientId: DEMO_WEB_APP.clientId,
      clientSecret: DEMO_WEB_APP.clientSecrets[0] as string,
      redirectUri: DEMO_WEB_APP.redirectUris[0] as string,
      baseUrl: `https://${mock.host}`,
      store,
      http: async (input, init) => {
        const request = new Request(input, init)
        const path = new URL(request.url).pathname
        if (path.startsWith('/attask/api/')) api.push(path.split('/').slice(3).join('/'))
        await gate.pass(request)
        return mock.fetch(request)
      },
      logger: {
        warn: (message, details) => logged.push(['warn', message, details]),
        error: (message, details) => logged.push(['error', message, details]),
      },
      ...options,
      ...more,
    })
  return { mock, store, oauth: client(), client, gate, logged, api }
}

async function signIn(h: Harness): Promise<string> {
  const { url } = await h.oauth.startLogin()
  const callback = await completeAuthorization(h.mock, url, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  const { grant } = await h.oauth.handleCallback(callback)
  h.api.length = 0
  return grant.id
}

/** Workfront ends every session; the next caller's session is rejected and the grant refreshed. */
async function expireAndRefresh(h: Harness, grantId: string, oauth = h.oauth): Promise<string> {
  const old = await oauth.getAccessToken(grantId)
  h.mock.expireAllSessions()
  h.mock.resetCounters()
  return (await oauth.getAccessToken(grantId, { rejectedAccessToken: old.accessToken })).accessToken
}

async function stored(store: StoragePort, grantId: string): Promise<{ grant: Grant; version: number }> {
  const record = await store.getVersioned(`grant:${grantId}`)
  if (record === null) throw new Error('no grant stored')
  return { grant: JSON.parse(record.value) as Grant, version: record.version }
}

const signedIn = {
  userID: DEMO_USER.id,
  name: DEMO_USER.name,
  username: DEMO_USER.username,
  emailAddr: DEMO_USER.email,
}

describe('the user read again after a refresh', () => {
  it('brings a renamed user to the grant, after the new tokens are stored, without the caller waiting', async () => {
    const h = setup()
    const grantId = await signIn(h)
    expect((await h.oauth.getGrant(grantId))?.user).toEqual(signedIn)
    h.mock.updateUser({ username: DEMO_USER.username, ...RENAMED })
    const held = h.gate.hold()

    const fresh = await expireAndRefresh(h, grantId)
    // The caller has its new session while Workfront still holds the user read; the tokens are stored.
    await held.reached
    expect(await stored(h.store, grantId)).toMatchObject({
      version: 3,
      grant: { accessToken: fresh, refreshCount: 1, user: signedIn },
    })
    expect(h.oauth.pendingWrites()).not.toBeNull()

    held.release()
    await h.oauth.pendingWrites()
    const renamed = { ...signedIn, name: RENAMED.name, emailAddr: RENAMED.email }
    expect(await stored(h.store, grantId)).toMatchObject({
      version: 4,
      grant: { accessToken: fresh, refreshCount: 1, user: renamed },
    })
    expect((await h.oauth.getGrant(grantId, { cached: true }))?.user).toEqual(renamed)
    // With the new session: GET session, then GET user/<id>.
    expect(h.api).toEqual(['v21.0/session', `v21.0/user/${DEMO_USER.id}`])
    expect(h.mock.counters().apiCalls).toEqual({ '200': 2 })
    expect(h.logged).toEqual([])
    expect(h.oauth.pendingWrites()).toBeNull()
  })

  it('a failed user read keeps the new tokens and the user the grant had, and is logged without secrets', async () => {
    const h = setup()
    const grantId = await signIn(h)
    const before = await stored(h.store, grantId)
    h.mock.updateUser({ username: DEMO_USER.username, ...RENAMED })
    h.mock.injectFailure({ endpoint: 'api', kind: 'status500' })

    const fresh = await expireAndRefresh(h, grantId)
    await h.oauth.pendingWrites()
    const after = await stored(h.store, grantId)
    expect(after).toMatchObject({
      version: 3,
      grant: { accessToken: fresh, refreshCount: 1, user: signedIn },
    })
    expect(after.grant.refreshToken).not.toBe(before.grant.refreshToken)
    expect(h.logged).toEqual([
      ['warn', 'the user could not be read again after a refresh', { code: 'api_error', status: 500 }],
    ])
    const text = JSON.stringify(h.logged)
    for (const secret of [grantId, fresh, after.grant.refreshToken as string, DEMO_USER.id]) {
      expect(text).not.toContain(secret)
    }
    // The grant works on, and the next refresh brings the new name.
    await expireAndRefresh(h, grantId)
    await h.oauth.pendingWrites()
    expect((await h.oauth.getGrant(grantId))?.user).toMatchObject({ name: RENAMED.name })
  })

  it('a read that failed because the user signed out meanwhile is not reported: the grant stays gone', async () => {
    const h = setup()
    const grantId = await signIn(h)
    const held = h.gate.hold()
    await expireAndRefresh(h, grantId)
    await held.reached

    // Signed out while the user read waits at Workfront: the session it carries is ended.
    expect(await h.oauth.logout(grantId)).toEqual({ sessionEnded: true })
    held.release()
    await h.oauth.pendingWrites()
    expect(await h.store.get(`grant:${grantId}`)).toBeNull()
    expect(h.logged).toEqual([])
  })

  it('never overwrites a newer grant: a refresh stored while the user was read wins', async () => {
    const h = setup()
    const other = h.client()
    const grantId = await signIn(h)
    h.mock.updateUser({ username: DEMO_USER.username, name: RENAMED.name })
    const held = h.gate.hold()
    const first = await expireAndRefresh(h, grantId)
    await held.reached

    // Meanwhile another process sees that session rejected and refreshes again (its own user read passes).
    const { accessToken: second } = await other.getAccessToken(grantId, { rejectedAccessToken: first })
    await other.pendingWrites()
    const newer = await stored(h.store, grantId)
    expect(newer).toMatchObject({
      version: 6,
      grant: { accessToken: second, refreshCount: 2, user: { name: RENAMED.name } },
    })

    held.release()
    await h.oauth.pendingWrites()
    expect(await stored(h.store, grantId)).toEqual(newer)
    // Concurrency, not a fault: nothing to report.
    expect(h.logged).toEqual([])
    expect(h.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 2 }, refreshReuses: 0 })
  })

  it('makes no call with user: false, one with id, two with the profile; writes nothing when nothing changed', async () => {
    for (const [user, calls] of [
      [false, []],
      ['id', ['v21.0/session']],
      ['profile', ['v21.0/session', `v21.0/user/${DEMO_USER.id}`]],
    ] as const) {
      const h = setup({ user })
      const grantId = await signIn(h)
      await expireAndRefresh(h, grantId)
      if (user === false) expect(h.oauth.pendingWrites()).toBeNull()
      await h.oauth.pendingWrites()
      expect(h.api, String(user)).toEqual(calls)
      expect(h.mock.counters().apiCalls).toEqual(calls.length === 0 ? {} : { '200': calls.length })
      // The sign-in (1), the refresh claim (2) and the new tokens (3): the unchanged user is not written.
      expect((await stored(h.store, grantId)).version).toBe(3)
    }
  })

  it('waits for rotated tokens held in the process (the store failing) before it reads the user', async () => {
    const { inner, store, knobs } = hiccupStore()
    const written: string[] = []
    const traced: StoragePort = {
      ...store,
      async compareAndSet(key, value, options) {
        const result = await store.compareAndSet(key, value, options)
        const grant = JSON.parse(value) as Grant
        if (result.ok) written.push(`stored ${grant.accessToken} ${grant.user?.name}`)
        return result
      },
    }
    const h = setup({ store: traced })
    const grantId = await signIn(h)
    h.mock.updateUser({ username: DEMO_USER.username, name: RENAMED.name })
    written.length = 0
    // The claim lands; the rotated tokens' write fails, past the request's retries: they are held.
    knobs.passWrites = 1
    knobs.failWrites = 1_000
    const fresh = await expireAndRefresh(h, grantId)
    const old = (await stored(inner, grantId)).grant.accessToken
    expect(old).not.toBe(fresh)
    expect(h.api).toEqual([])

    knobs.failWrites = 0
    await h.oauth.pendingWrites()
    expect(written).toEqual([
      `stored ${old} ${DEMO_USER.name}`,
      `stored ${fresh} ${DEMO_USER.name}`,
      `stored ${fresh} ${RENAMED.name}`,
    ])
    expect(h.api).toEqual(['v21.0/session', `v21.0/user/${DEMO_USER.id}`])
  })

  it('ends a grant whose session now belongs to another user ID, instead of replacing who signed in', async () => {
    const lost: string[] = []
    const quiet: OperationObserver = {
      step: () => () => undefined,
      nearCache: () => undefined,
      refresh: () => undefined,
      grantLost: () => undefined,
      tenant: () => undefined,
      response: () => undefined,
      end: () => undefined,
    }
    const instrumentation: Instrumentation = {
      operation: () => quiet,
      grantLost: (reason) => lost.push(reason),
    }
    const h = setup({ instrumentation })
    const grantId = await signIn(h)
    // The stored grant says someone else signed in (a record moved between grants, or tampered with).
    const record = await stored(h.store, grantId)
    const someoneElse = { ...signedIn, userID: 'someone-else' }
    await h.store.compareAndSet(`grant:${grantId}`, JSON.stringify({ ...record.grant, user: someoneElse }), {
      expectedVersion: record.version,
    })

    const fresh = await expireAndRefresh(h, grantId)
    expect(fresh).toBeTruthy()
    await h.oauth.pendingWrites()
    expect(await h.oauth.getGrant(grantId)).toBeNull()
    expect((await failure(h.oauth.getAccessToken(grantId))).code).toBe('grant_not_found')
    // Its Workfront session was ended too.
    expect(h.api).toEqual(['v21.0/session', `v21.0/user/${DEMO_USER.id}`, 'v21.0/logout'])
    expect((await h.mock.fetch(sessionRequest(h.mock, fresh))).status).toBe(401)
    expect(h.logged).toEqual([['error', 'a refresh named another user: the grant was ended', undefined]])
    expect(lost).toEqual(['user_changed'])
  })

  it('is reported as steps of the operation that refreshed: the user read, then the write', async () => {
    const calls: unknown[][] = []
    const instrumentation: Instrumentation = {
      operation: (start) => ({
        step(step) {
          calls.push([start.operation, 'step', step.kind, 'operation' in step ? step.operation : null])
          return (end) => calls.push([start.operation, 'end step', step.kind, end])
        },
        nearCache: () => undefined,
        refresh: (outcome) => calls.push([start.operation, 'refresh', outcome]),
        grantLost: () => undefined,
        tenant: () => undefined,
        response: () => undefined,
        end: () => calls.push([start.operation, 'end']),
      }),
    }
    const h = setup({ instrumentation })
    const grantId = await signIn(h)
    h.mock.updateUser({ username: DEMO_USER.username, name: RENAMED.name })
    calls.length = 0
    await expireAndRefresh(h, grantId)
    await h.oauth.pendingWrites()
    // After the refresh's own steps, still in its operation (which may have ended by then).
    const steps = calls.filter(([, what]) => what === 'step' || what === 'end step')
    expect(steps.slice(-6)).toEqual([
      ['access_token', 'step', 'store', 'lock.release'],
      ['access_token', 'end step', 'store', {}],
      ['access_token', 'step', 'api', 'user.read'],
      ['access_token', 'end step', 'api', {}],
      ['access_token', 'step', 'store', 'grant.write'],
      ['access_token', 'end step', 'store', { outcome: 'written' }],
    ])
    expect(calls).toContainEqual(['access_token', 'refresh', 'done'])
  })
})

function sessionRequest(mock: WorkfrontMock, accessToken: string): Request {
  return new Request(`https://${mock.host}/attask/api/v21.0/session`, { headers: { sessionID: accessToken } })
}
