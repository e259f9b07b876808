/**
 * @module `@workfront-oauth/core/adapters`: the building blocks that adapter packages (framework bindings,
 * stores, command lines) use beside the main entry point, and apps rarely need: the default clock and
 * randomness, tenant and host parsing, cookies and the web flow's response conversion, and the state
 * machine's pure steps. They follow semantic versioning like the main entry point.
 */

export { searchQuery } from './api.ts'
export { grantInfo, toCallbackParams } from './client.ts'
export { cryptoRandom, systemClock } from './defaults.ts'
export { errorActionLink } from './error-table.ts'
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
export { headerValue, parseCookies, readCookie, serializeCookie } from './web/cookies.ts'
export { requestURL } from './web/flow.ts'
export { defaultErrorPage, escapeHTML, wantsHTML } from './web/pages.ts'
export type { RequestTargetOptions } from './web/request-target.ts'
export { absoluteRequestURL } from './web/request-target.ts'
export { validateReturnTo } from './web/return-to.ts'
export type { CookieSigner, CookieSignerOptions } from './web/signer.ts'
export { createCookieSigner } from './web/signer.ts'
