/**
 * The flows the tests record, written once for Node and workerd: a code-flow client and a Machine to
 * Machine client over the Workfront mock, with the recording SDK as their instrumentation.
 */
import type { StoragePort, WorkfrontOAuth, WorkfrontOAuthOptions } from '@workfront-oauth/core'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import type { WorkfrontServerAuth } from '@workfront-oauth/core/server'
import { createWorkfrontServerAuth } from '@workfront-oauth/core/server'
import type { WorkfrontMock, WorkfrontMockOptions } from '@workfront-oauth/workfront-mock'
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  DEMO_WEB_APP,
} from '@workfront-oauth/workfront-mock'
import { completeAuthorization, DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import type { Recording } from './harness.ts'
import { recording, secretCollectingPort } from './harness.ts'

export const WEB_SECRET = DEMO_WEB_APP.clientSecrets[0] as string
export const M2M_SECRET = DEMO_M2M_APP.clientSecrets[0] as string
const REDIRECT = DEMO_WEB_APP.redirectUris[0] as string

export interface Setup {
  mock: WorkfrontMock
  oauth: WorkfrontOAuth
  store: StoragePort
  rec: Recording
  /** Every secret that crossed the HTTP port, plus the ones the test adds (grant ids, cookies). */
  secrets: Set<string>
  /** A full sign-in as a person would: returns the grant id. */
  signIn(options?: { browserBinding?: string; decision?: 'allow' | 'deny' }): Promise<string>
}

/** A code-flow client over the mock, recording. `expiresIn`: the session lifetime the mock announces. */
export function setup(
  options: {
    client?: Partial<WorkfrontOAuthOptions>
    mock?: WorkfrontMockOptions
    /** An existing mock (another process's Workfront), instead of a new one. */
    workfront?: WorkfrontMock
    /** Runs before each request reaches the mock (a gate). */
    before?: (request: Request) => Promise<void>
    store?: StoragePort
  } = {},
): Setup {
  const mock = options.workfront ?? createWorkfrontMock(options.mock ?? {})
  const rec = recording()
  const before = options.before
  const { http, secrets } = secretCollectingPort(
    before
      ? {
          async fetch(request) {
            await before(request)
            return mock.fetch(request)
          },
        }
      : mock,
  )
  const store = options.store ?? memoryStore()
  secrets.add(WEB_SECRET)
  const oauth = createWorkfrontOAuth({
    clientId: DEMO_WEB_APP.clientId,
    clientSecret: WEB_SECRET,
    redirectUri: REDIRECT,
    baseUrl: `https://${mock.host}`,
    store,
    http,
    clock: { now: () => mock.clock.now() },
    instrumentation: rec.instrumentation,
    logger: { warn: () => {}, error: () => {} },
    ...options.client,
  })
  return {
    mock,
    oauth,
    store,
    rec,
    secrets,
    async signIn(opts = {}) {
      const binding = opts.browserBinding ?? 'browser-binding-cookie-value-1'
      secrets.add(binding)
      const { url, state } = await oauth.startLogin({ returnTo: '/projects', browserBinding: binding })
      secrets.add(state)
      const callback = await completeAuthorization(mock, url, {
        username: DEMO_USER.username,
        password: DEMO_USER.password,
        ...(opts.decision ? { decision: opts.decision } : {}),
      })
      const code = callback.searchParams.get('code')
      if (code) secrets.add(code)
      const { grant } = await oauth.handleCallback(callback, { browserBinding: binding })
      secrets.add(grant.id)
      return grant.id
    },
  }
}

/** A Machine to Machine client over the mock, recording. */
export function serverSetup(options: { clientSecret?: string; mock?: WorkfrontMockOptions } = {}): {
  mock: WorkfrontMock
  auth: WorkfrontServerAuth
  rec: Recording
  secrets: Set<string>
} {
  const mock = createWorkfrontMock(options.mock ?? {})
  const rec = recording()
  const { http, secrets } = secretCollectingPort(mock)
  const clientSecret = options.clientSecret ?? M2M_SECRET
  secrets.add(clientSecret)
  for (const line of DEMO_M2M_PRIVATE_KEY.split('\n').filter((l) => l.length > 40)) secrets.add(line)
  const auth = createWorkfrontServerAuth({
    clientId: DEMO_M2M_APP.clientId,
    clientSecret,
    customerId: DEMO_CUSTOMER_ID,
    userId: DEMO_USER.id,
    privateKey: DEMO_M2M_PRIVATE_KEY,
    baseUrl: `https://${mock.host}`,
    store: memoryStore(),
    http,
    clock: { now: () => mock.clock.now() },
    instrumentation: rec.instrumentation,
    logger: { warn: () => {}, error: () => {} },
  })
  secrets.add(auth.grantId)
  return { mock, auth, rec, secrets }
}
