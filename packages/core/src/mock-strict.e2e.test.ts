/**
 * The core against the Workfront mock's stricter knobs, where Workfront varies or leaves things open:
 * a rejected session answered with HTTP 200 (`authenticationError`), a refresh whose response carries no
 * refresh token (`omitUnchangedRefreshToken`), and an org on the Unified Experience host family
 * (`hostFamily`). In-process: the mock's `fetch` is the HTTP port, its forms are posted as a person would.
 * @see WORKFRONT.md "The flow, step by step" §7 and §8, "Hosts, domains and lanes"
 */
import type { WorkfrontMock, WorkfrontMockOptions } from '@workfront-oauth/workfront-mock'
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  DEMO_WEB_APP,
  defaultProjects,
} from '@workfront-oauth/workfront-mock'
import { completeAuthorization, DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { createWorkfrontClient } from './api.ts'
import type { WorkfrontOAuth, WorkfrontOAuthOptions } from './client.ts'
import { createWorkfrontOAuth } from './client.ts'
import { TOKEN_PATH } from './machine.ts'
import { memoryStore } from './memory-store.ts'
import { createWorkfrontServerAuth } from './server.ts'

const PROJECT_NAMES = defaultProjects().map((project) => project.name)
const USER = { username: DEMO_USER.username, password: DEMO_USER.password }
const REJECTED = {
  class: 'com.attask.common.AuthenticationException',
  message: 'You are not currently logged in',
}

/** A code-flow client over the mock; `tokens` records each token request's form and the answer's JSON. */
function setup(mockOptions: WorkfrontMockOptions, client: Partial<WorkfrontOAuthOptions> = {}) {
  const mock = createWorkfrontMock(mockOptions)
  const tokens: Array<{ request: URLSearchParams; response: Record<string, unknown> }> = []
  const oauth = createWorkfrontOAuth({
    clientId: DEMO_WEB_APP.clientId,
    clientSecret: DEMO_WEB_APP.clientSecrets[0] as string,
    redirectUri: DEMO_WEB_APP.redirectUris[0] as string,
    baseUrl: `https://${mock.host}`,
    store: memoryStore(),
    http: async (input, init) => {
      const request = new Request(input, init)
      const response = await mock.fetch(request.clone())
      if (new URL(request.url).pathname === TOKEN_PATH) {
        tokens.push({
          request: new URLSearchParams(new TextDecoder().decode(await request.arrayBuffer())),
          response: (await response.clone().json()) as Record<string, unknown>,
        })
      }
      return response
    },
    ...client,
  })
  return { mock, oauth, tokens }
}

async function signIn(h: { mock: WorkfrontMock; oauth: WorkfrontOAuth }, tenant?: string): Promise<string> {
  const { url } = await h.oauth.startLogin(tenant === undefined ? {} : { tenant })
  const { grant } = await h.oauth.handleCallback(await completeAuthorization(h.mock, url, USER))
  return grant.id
}

describe('a rejected session answered with HTTP 200 (authenticationError)', () => {
  it.each([
    ['200', { error: REJECTED }],
    ['200-data', { data: { error: REJECTED } }],
  ] as const)(
    '%s: the code flow refreshes and sends the call once more',
    async (authenticationError, body) => {
      const h = setup({ authenticationError })
      const grantId = await signIn(h)
      const workfront = createWorkfrontClient(h.oauth, grantId)
      expect((await workfront.search('proj')).map((p) => p.name)).toEqual(PROJECT_NAMES)

      h.mock.expireAllSessions()
      // What the core sees first: HTTP 200, and Workfront's AuthenticationException in the body.
      const rejected = await h.mock.fetch(
        new Request(`https://${h.mock.host}/attask/api/v21.0/proj/search`, {
          headers: { sessionID: h.tokens[0]?.response.access_token as string },
        }),
      )
      expect([rejected.status, await rejected.json()]).toEqual([200, body])
      expect((await workfront.search('proj')).map((p) => p.name)).toEqual(PROJECT_NAMES)
      await h.oauth.pendingWrites()
      expect(h.mock.counters()).toMatchObject({
        tokenCalls: { authorization_code: 1, refresh_token: 1 },
        // who signed in (session, user), search, the probe above, the rejected search, its retry, and who
        // signed in read again after the refresh (session, user): all HTTP 200.
        apiCalls: { '200': 8 },
      })
      expect(await h.oauth.getGrant(grantId)).toMatchObject({ refreshCount: 1 })
    },
  )

  it('the JWT flow exchanges a new JWT and sends the call once more', async () => {
    const mock = createWorkfrontMock({ authenticationError: '200' })
    const job = createWorkfrontServerAuth({
      clientId: DEMO_M2M_APP.clientId,
      clientSecret: DEMO_M2M_APP.clientSecrets[0] as string,
      customerId: DEMO_CUSTOMER_ID,
      userId: DEMO_USER.id,
      privateKey: DEMO_M2M_PRIVATE_KEY,
      baseUrl: `https://${mock.host}`,
      store: memoryStore(),
      http: (input, init) => mock.fetch(new Request(input, init)),
    })
    expect(await job.client.count('proj')).toBe(PROJECT_NAMES.length)
    mock.expireAllSessions()
    expect(await job.client.count('proj')).toBe(PROJECT_NAMES.length)
    expect(mock.counters()).toMatchObject({
      jwtExchanges: { calls: 2, succeeded: 2 },
      apiCalls: { '200': 3 },
    })
  })
})

describe('a refresh response without a refresh token (omitUnchangedRefreshToken)', () => {
  it('keeps the refresh token it has, and refreshes with it again', async () => {
    const h = setup({
      omitUnchangedRefreshToken: true,
      apps: [{ ...DEMO_WEB_APP, redirectUris: [...DEMO_WEB_APP.redirectUris], rotation: false }],
    })
    const grantId = await signIn(h)
    const workfront = createWorkfrontClient(h.oauth, grantId)
    for (let refresh = 1; refresh <= 2; refresh++) {
      h.mock.expireAllSessions()
      expect(await workfront.count('proj')).toBe(PROJECT_NAMES.length)
      await h.oauth.pendingWrites()
      expect(await h.oauth.getGrant(grantId)).toMatchObject({ refreshCount: refresh })
    }
    const [exchange, first, second] = h.tokens
    const original = exchange?.response.refresh_token
    expect(original).toEqual(expect.any(String))
    // Both refresh answers came without a refresh token; both refreshes sent the original one.
    expect([first?.response, second?.response].map((r) => 'refresh_token' in (r ?? {}))).toEqual([
      false,
      false,
    ])
    expect([first, second].map((t) => t?.request.get('refresh_token'))).toEqual([original, original])
    expect(h.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 2 }, refreshReuses: 0 })
  })
})

describe('an org on the Unified Experience host family (hostFamily)', () => {
  it('a fixed tenant on workfront.adobe.com signs in, calls the API and refreshes there', async () => {
    const h = setup({ hostFamily: 'unified-experience' })
    expect(h.mock.host).toBe('acme.my.workfront.adobe.com')
    const grantId = await signIn(h)
    expect(await h.oauth.getGrant(grantId)).toMatchObject({ origin: 'https://acme.my.workfront.adobe.com' })
    const workfront = createWorkfrontClient(h.oauth, grantId)
    h.mock.expireAllSessions()
    expect(await workfront.count('proj')).toBe(PROJECT_NAMES.length)
    expect(h.mock.counters().tokenCalls).toMatchObject({ authorization_code: 1, refresh_token: 1 })
  })

  it('multi-tenant: the org the user names binds the login to its family', async () => {
    const h = setup({ hostFamily: 'unified-experience' }, { baseUrl: undefined, multiTenant: {} })
    const grantId = await signIn(h, 'acme.my.workfront.adobe.com')
    expect(await h.oauth.getGrant(grantId)).toMatchObject({ origin: 'https://acme.my.workfront.adobe.com' })
  })

  it('multi-tenant, login not bound: the callback cannot tell the family, so nothing is sent', async () => {
    const h = setup(
      { hostFamily: 'unified-experience' },
      { baseUrl: undefined, multiTenant: { entryUrl: 'https://acme.my.workfront.adobe.com' } },
    )
    const { url } = await h.oauth.startLogin()
    const callback = await completeAuthorization(h.mock, url, USER)
    await expect(h.oauth.handleCallback(callback)).rejects.toMatchObject({ code: 'tenant_ambiguous' })
    expect(h.mock.counters().tokenCalls).toEqual({ authorization_code: 0, refresh_token: 0, other: 0 })
  })
})
