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
