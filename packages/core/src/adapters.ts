/**
 * @module `@workfront-oauth/core/adapters`: the building blocks that adapter packages (framework bindings,
 * stores, instrumentations, command lines) use beside the main entry point, and apps rarely need: the parts
 * of the storage port, the default clock and randomness, the instrumentation port's types, tenant and host
 * parsing, Workfront's API versions, the client-address resolver for apps behind proxies, cookies and the
 * web flow's request conversion, and the state machine's pure steps. They follow semantic versioning like
 * the main entry point.
 */

export { MAX_PAGE_SIZE, searchQuery } from './api.ts'
export type { APIVersion, APIVersionEntry, APIVersionStatus } from './api-versions.ts'
export { apiVersionStatus, UNVERSIONED_API, WORKFRONT_API_VERSIONS } from './api-versions.ts'
export { grantInfo, toCallbackParams } from './client.ts'
export type { ClientAddressResolver, TrustedProxyOptions } from './client-address.ts'
export { createClientAddressResolver } from './client-address.ts'
export { cryptoRandom, systemClock } from './defaults.ts'
export type { EncryptionKeyUsage } from './encrypted-store.ts'
export type { ErrorAction } from './error-table.ts'
export { errorActionLink } from './error-table.ts'
export type { WorkfrontOAuthErrorOptions } from './errors.ts'
export type {
  GrantLossReason,
  Instrumentation,
  OperationName,
  OperationObserver,
  OperationStart,
  RefreshOutcome,
  Step,
  StepEnd,
  StoreCall,
  StoreOperation,
} from './instrumentation.ts'
export type {
  Effect,
  ErrorState,
  Event,
  Grant,
  LoginTransaction,
  Machine,
  MachineConfig,
  State,
  StoredGrant,
  TokenSet,
  Transition,
} from './machine.ts'
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
export type {
  Clock,
  CompareAndSetOptions,
  CompareAndSetResult,
  LockOptions,
  RandomSource,
  SetOptions,
  Versioned,
} from './ports.ts'
export type { ClientAuth } from './protocol.ts'
export type { RateLimit } from './rate-limit.ts'
export type { ResolveTenantInput, TenantResolution } from './tenant.ts'
export {
  candidateOrigins,
  hostMatches,
  isDNSLabel,
  isHostAllowed,
  isLoopbackHost,
  parseBaseURL,
  parseTenantInput,
  resolveTenant,
  WORKFRONT_HOST_PATTERNS,
} from './tenant.ts'
export type { CookieAttributes, HeadersInput } from './web/cookies.ts'
export { headerValue, parseCookies, readCookie, serializeCookie } from './web/cookies.ts'
export { DEFAULT_LOGIN_CAPACITY, DEFAULT_LOGIN_RATE_LIMIT, requestURL } from './web/flow.ts'
export { defaultErrorPage, escapeHTML, wantsHTML } from './web/pages.ts'
export type { WebRequest } from './web/request.ts'
export type { RequestTargetOptions } from './web/request-target.ts'
export { absoluteRequestURL } from './web/request-target.ts'
export { isSameOrigin, validateReturnTo } from './web/return-to.ts'
export type { CookieSigner, CookieSignerOptions, VerifiedCookieCacheOptions } from './web/signer.ts'
export { createCookieSigner } from './web/signer.ts'
