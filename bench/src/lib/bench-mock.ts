import type { StoragePort, WorkfrontOAuth, WorkfrontOAuthOptions } from '@workfront-oauth/core'
import { createWorkfrontOAuth } from '@workfront-oauth/core'
import type { WorkfrontMock, WorkfrontMockOptions } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { BENCH_APP } from './constants.ts'

/** The Workfront mock every suite talks to: the bench app registered (rotation on), automatic consent. */
export function createBenchMock(options: WorkfrontMockOptions = {}): WorkfrontMock {
  return createWorkfrontMock({
    apps: [
      {
        clientId: BENCH_APP.clientId,
        clientSecrets: [BENCH_APP.clientSecret],
        redirectUris: [BENCH_APP.redirectUri],
        type: 'web',
        rotation: true,
      },
    ],
    autoConsent: { username: DEMO_USER.username },
    ...options,
  })
}

/** The bench app's OAuth client, talking to `mock` in process (no network); `options` add to or override. */
export function benchOAuth(
  mock: WorkfrontMock,
  store: StoragePort,
  options: Partial<WorkfrontOAuthOptions> = {},
): WorkfrontOAuth {
  return createWorkfrontOAuth({
    clientId: BENCH_APP.clientId,
    clientSecret: BENCH_APP.clientSecret,
    redirectUri: BENCH_APP.redirectUri,
    baseUrl: `https://${mock.host}`,
    store,
    http: (input, init) => mock.fetch(new Request(input, init)),
    ...options,
  })
}
