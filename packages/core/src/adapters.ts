/**
 * @module `@workfront-oauth/core/adapters`: the building blocks that adapter packages (framework bindings,
 * stores, command lines) use beside the main entry point, and apps rarely need: the default clock and
 * randomness, tenant and host parsing, cookies and the web flow's response conversion, and the state
 * machine's pure steps. They follow semantic versioning like the main entry point.
 */

export { searchQuery } from './api.ts'
export { grantInfo, toCallbackParams } from './client.ts'
export {
  AUTHORIZE_PATH,
  authorizeURL,
  createMachine,
  grantFromTokens,
  initialState,
  needsRefresh,
  refreshedGrant,
  TOKEN_PATH,
} from './machine.ts'
export { cryptoRandom, systemClock } from './ports.ts'
export type { ResolveTenantInput } from './tenant.ts'
export {
  candidateOrigins,
  hostMatches,
  isDNSLabel,
  isHostAllowed,
  isLoopbackHost,
  parseBaseURL,
  parseTenantInput,
  resolveTenant,
} from './tenant.ts'
export type { CookieSigner, CookieSignerOptions, VerifiedCookieCacheOptions } from './web.ts'
export { createCookieSigner, parseCookies, serializeCookie, toResponse, validateReturnTo } from './web.ts'
