/**
 * The core against `@workfront-oauth/workfront-mock`, end to end and in-process: the mock's `fetch` is the
 * HTTP port, its login and consent pages are posted as a person would, and its counters are the judge of
 * what reached Workfront (refreshes, reuses of a rotated refresh token, API statuses).
 */
import { eventually, overMock } from '@workfront-oauth/test-kit'
import type { MockApp, WorkfrontMock } from '@workfront-oauth/workfront-mock'
import {
  createWorkfrontMock,
  DEMO_SPA_APP,
  DEMO_USER,
  DEMO_WEB_APP,
  defaultProjects,
} from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { createWorkfrontClient } from './api.ts'
import type { WorkfrontOAuth, WorkfrontOAuthOptions } from './client.ts'
import { createWorkfrontOAuth } from './client.ts'
import { encryptedStore, generateEncryptionKey } from './encrypted-store.ts'
import { TOKEN_PATH } from './machine.ts'
import { memoryStore } from './memory-store.ts'
import type { StoragePort } from './ports.ts'
import { failure } from './test/failure.ts'

const WEB_SECRET = DEMO_WEB_APP.clientSecrets[0] as string
const PROJECT_NAMES = defaultProjects().map((project) => project.name)

/** What the client put on the wire at the token endpoint (the mock accepts every documented form). */
interface TokenRequest {
  authorization: string | null
  contentType: string | null
  body: string
}

interface Harness {
  mock: WorkfrontMock
  oauth: WorkfrontOAuth
  store: StoragePort
  tokenRequests: TokenRequest[]
}

function setup(
  options: {
    apps?: MockApp[]
    client?: Partial<WorkfrontOAuthOptions>
    store?: StoragePort
    spa?: boolean
    /** Sees each request before the mock does (and may hold it). */
    onRequest?: (request: Request) => Promise<void>
  } = {},
): Harness {
  const mock = createWorkfrontMock(options.apps ? { apps: options.apps } : {})
  const store = options.store ?? memoryStore()
  const tokenRequests: TokenRequest[] = []
  const oauth = createWorkfrontOAuth({
    ...overMock(mock, options.spa ? DEMO_SPA_APP : DEMO_WEB_APP, {
      async onRequest(request) {
        await options.onRequest?.(request)
        if (new URL(request.url).pathname !== TOKEN_PATH) return
        tokenRequests.push({
          authorization: request.headers.get('authorization'),
          contentType: request.headers.get('content-type'),
          // As bytes: workerd warns when `.text()` is called on a form-encoded body.
          body: new TextDecoder().decode(await request.clone().arrayBuffer()),
        })
      },
    }),
    store,
    ...options.client,
  })
  return { mock, oauth, store, tokenRequests }
}

/** The browser's part: open the authorize URL, post the real login and consent forms, come back. */
async function authorize(h: Harness): Promise<URL> {
  const { url } = await h.oauth.startLogin({ returnTo: '/projects' })
  return completeAuthorization(h.mock, url, { username: DEMO_USER.username, password: DEMO_USER.password })
}

async function signIn(h: Harness): Promise<string> {
  const { grant } = await h.oauth.handleCallback(await authorize(h))
  return grant.id
}

describe('sign-in, API call, session expiry, refresh, API call', () => {
  const variants = [
    { name: 'client_secret in the form body (Example 2)', client: { clientAuth: 'post' as const } },
    { name: 'Basic + JSON (Example 1)', client: { clientAuth: 'basic' as const } },
    {
      name: 'form body, tokens encrypted at rest',
      client: { clientAuth: 'post' as const },
      encrypted: true,
    },
    { name: 'single-page app: PKCE, no secret', spa: true },
  ]

  it.each(variants)('$name', async (variant) => {
    const inner = memoryStore()
    const h = setup({
      client: variant.client ?? {},
      spa: variant.spa ?? false,
      store: variant.encrypted
        ? encryptedStore(inner, { keys: [{ id: 'e2e', key: generateEncryptionKey() }] })
        : inner,
    })

    const callback = await authorize(h)
    expect(Object.fromEntries(callback.searchParams)).toMatchObject({ domain: 'acme', lane: 'my' })
    const { grant, returnTo } = await h.oauth.handleCallback(callback)
    expect(returnTo).toBe('/projects')
    expect(grant).toMatchObject({ origin: `https://${h.mock.host}`, tokenType: 'sessionID', refreshCount: 0 })
    // Who signed in was read once, at sign-in (GET session, GET user/<id>), and is kept with the grant.
    expect(grant.user).toEqual({
      userID: expect.any(String),
      name: 'Dana Demo',
      username: DEMO_USER.username,
      emailAddr: expect.stringContaining('@'),
    })
    expect(h.mock.counters().apiCalls).toEqual({ '200': 2 })

    const workfront = createWorkfrontClient(h.oauth, grant.id)
    expect((await workfront.search('proj')).map((p) => p.name)).toEqual(PROJECT_NAMES)
    expect(h.mock.counters()).toMatchObject({
      tokenCalls: { authorization_code: 1, refresh_token: 0 },
      apiCalls: { '200': 3 },
    })

    h.mock.expireAllSessions()
    expect((await workfront.search('proj')).map((p) => p.name)).toEqual(PROJECT_NAMES)
    // After the refresh, who signed in is read again with the new session (2 calls), in the background.
    await h.oauth.pendingWrites()
    expect(h.mock.counters()).toEqual({
      tokenCalls: { authorization_code: 1, refresh_token: 1, other: 0 },
      jwtExchanges: { calls: 0, succeeded: 0 },
      refreshReuses: 0,
      codeReuses: 0,
      apiCalls: { '200': 6, '401': 1 },
    })
    expect(await h.oauth.getGrant(grant.id)).toMatchObject({ refreshCount: 1, user: grant.user })

    // The request form really was the one configured (the mock accepts all three).
    const [exchange, refresh] = h.tokenRequests
    if (variant.spa) {
      const body = new URLSearchParams(exchange?.body)
      expect(body.get('code_verifier')?.length).toBeGreaterThanOrEqual(43)
      expect(body.has('client_secret')).toBe(false)
      expect(exchange?.authorization).toBeNull()
      expect(new URLSearchParams(refresh?.body).has('client_secret')).toBe(false)
    } else if (variant.client?.clientAuth === 'basic') {
      expect(exchange?.authorization).toBe(`Basic ${btoa(`${DEMO_WEB_APP.clientId}:${WEB_SECRET}`)}`)
      expect(exchange?.contentType).toBe('application/json')
      expect(JSON.parse(refresh?.body ?? '{}')).toMatchObject({ grant_type: 'refresh_token' })
    } else {
      expect(exchange?.authorization).toBeNull()
      expect(new URLSearchParams(exchange?.body).get('client_secret')).toBe(WEB_SECRET)
      expect(new URLSearchParams(refresh?.body).get('grant_type')).toBe('refresh_token')
    }
    if (variant.encrypted) {
      expect((await inner.getVersioned(`grant:${grant.id}`))?.value).toMatch(/^wfe1\.e2e\./)
    }
  })
})

describe('refresh with rotation on', () => {
  it('200 concurrent API calls on an expired session (two instances, one store): one refresh, no reuse', async () => {
    // Armed after the sign-in: the refresh is held at Workfront's door while the other callers pile up.
    let door: Promise<void> | undefined
    let held = 0
    const atDoor = async (request: Request): Promise<void> => {
      if (door === undefined || new URL(request.url).pathname !== TOKEN_PATH) return
      held++
      await door
    }
    const h = setup({ onRequest: atDoor })
    const second = createWorkfrontOAuth({
      ...overMock(h.mock, DEMO_WEB_APP, { onRequest: atDoor }),
      store: h.store,
    })
    const grantId = await signIn(h)
    const before = await h.oauth.getAccessToken(grantId)
    h.mock.expireAllSessions()
    h.mock.resetCounters()
    let open = (): void => {}
    door = new Promise<void>((resolve) => (open = resolve))

    const all = Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? h.oauth : second).fetch(grantId, 'proj/search')),
    )
    await eventually(() => held === 1)
    open()
    const responses = await all
    expect(held).toBe(1)
    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(200))
    await Promise.all([h.oauth.pendingWrites(), second.pendingWrites()])
    const counters = h.mock.counters()
    expect(counters.tokenCalls.refresh_token).toBe(1)
    expect(counters.refreshReuses).toBe(0)
    // The 200 calls, and the user read again once after the one refresh (GET session, GET user/<id>).
    expect(counters.apiCalls['200']).toBe(202)
    const after = await h.oauth.getAccessToken(grantId)
    expect(after.accessToken).not.toBe(before.accessToken)
    expect((await second.getAccessToken(grantId)).accessToken).toBe(after.accessToken)
    expect(await h.oauth.getGrant(grantId)).toMatchObject({ refreshCount: 1 })
  })

  it('past the absolute refresh token lifetime, the grant needs a new authorization (typed)', async () => {
    const day = 24 * 3_600_000
    const h = setup({ apps: [{ ...DEMO_WEB_APP, refreshTokenAbsoluteTtlMs: day }] })
    const grantId = await signIn(h)
    const { accessToken } = await h.oauth.getAccessToken(grantId)

    // Just before the limit a refresh works (and rotation does not extend the limit)…
    h.mock.clock.advance(day - 60_000)
    const refreshed = await h.oauth.getAccessToken(grantId, { rejectedAccessToken: accessToken })
    expect(refreshed.accessToken).not.toBe(accessToken)

    // …at the limit it is refused, and the driver says so after re-reading the store once.
    h.mock.clock.advance(60_000)
    const error = await failure(
      h.oauth.getAccessToken(grantId, { rejectedAccessToken: refreshed.accessToken }),
    )
    expect(error.code).toBe('reauthorization_required')
    expect(h.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 2 }, refreshReuses: 0 })
    // The API says the same through the typed client.
    h.mock.expireAllSessions()
    const apiError = await failure(createWorkfrontClient(h.oauth, grantId).search('proj'))
    expect(apiError.code).toBe('reauthorization_required')
  })

  it('a dropped answer after the mock rotated: typed error, grant untouched, then the honest outcome', async () => {
    const h = setup()
    const grantId = await signIn(h)
    const stored = await h.store.getVersioned(`grant:${grantId}`)
    const { accessToken } = await h.oauth.getAccessToken(grantId)
    h.mock.expireAllSessions()
    h.mock.injectFailure({ endpoint: 'token', kind: 'dropAfterRotate', grantType: 'refresh_token' })

    // The mock applied the refresh (old refresh token disabled) and the connection died before the answer.
    const lost = await failure(h.oauth.getAccessToken(grantId, { rejectedAccessToken: accessToken }))
    expect(lost.code).toBe('token_endpoint_unreachable')
    expect(h.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 1 }, refreshReuses: 0 })
    // Nothing else was written: the refresh claim was withdrawn, and the record holds what sign-in stored
    // (two versions later: the claim and its withdrawal).
    const version = stored?.version ?? 0
    expect(await h.store.getVersioned(`grant:${grantId}`)).toEqual({
      value: stored?.value,
      version: version + 2,
    })

    // The stored refresh token is the one the mock disabled: the next refresh is a reuse, counted by the
    // mock, and after re-reading the store once the driver declares the grant lost. No silent success.
    const next = await failure(h.oauth.getAccessToken(grantId, { rejectedAccessToken: accessToken }))
    expect(next.code).toBe('reauthorization_required')
    expect(h.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 2 }, refreshReuses: 1 })
    expect(await h.store.getVersioned(`grant:${grantId}`)).toEqual({
      value: stored?.value,
      version: version + 4,
    })
  })
})

describe('authorization code lifetime', () => {
  it('a code redeemed at 1:59 works; one redeemed at 2:00 is refused as code_rejected', async () => {
    const h = setup()
    const inTime = await authorize(h)
    h.mock.clock.advance(119_000)
    await expect(h.oauth.handleCallback(inTime)).resolves.toMatchObject({ returnTo: '/projects' })

    const late = await authorize(h)
    h.mock.clock.advance(120_000)
    const error = await failure(h.oauth.handleCallback(late))
    expect(error).toMatchObject({ code: 'code_rejected', status: 400, upstreamCode: 'INVALID_GRANT' })
    expect(h.mock.counters().tokenCalls.authorization_code).toBe(2)
  })
})
