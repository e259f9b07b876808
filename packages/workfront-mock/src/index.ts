/**
 * @module
 * A strict in-memory mock of Adobe Workfront's OAuth2 server (authorization code with or without PKCE,
 * refresh with rotation, Workfront's error shapes) and of the first slice of its API, with test knobs:
 * a controllable clock, latency, injected failures and counters. Web-standard APIs only: it runs
 * in-process as an HTTP port, on Node and inside workerd.
 */

export { isMockConnectionReset } from './io'
export { createWorkfrontMock, JWT_EXCHANGE_PATH, TOKEN_PATH } from './mock'
export {
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_SPA_APP,
  DEMO_USER,
  DEMO_WEB_APP,
  defaultProjects,
  defaultUsers,
} from './seed'
export type {
  ControllableClock,
  JWTExchangeResponse,
  MockApp,
  MockClock,
  MockCounters,
  MockFailure,
  MockLatency,
  MockProject,
  MockPublicKey,
  MockUser,
  TokenResponse,
  WorkfrontMock,
  WorkfrontMockOptions,
} from './types'
export { API_VERSION_SCHEDULE, type APIVersionEntry } from './versions'
