/**
 * @module `@workfront-oauth/core`: Adobe Workfront OAuth2 (authorization code and refresh token flows) as a
 * pure state machine driven over pluggable HTTP and storage ports. Web-standard APIs only: runs unchanged
 * on Node, workerd, Deno and Bun.
 *
 * This entry point is what an app needs; the building blocks of adapters (cookies, tenant parsing, the
 * machine's steps) are in `@workfront-oauth/core/adapters`, test helpers in `@workfront-oauth/core/testing`.
 */
export type { FilterValue, SearchOptions, WorkfrontClient, WorkfrontObject, WorkfrontSession } from './api.ts'
export { createWorkfrontClient, MAX_PAGE_SIZE } from './api.ts'
export type { APIVersion, APIVersionEntry, APIVersionStatus } from './api-versions.ts'
export { apiVersionStatus, DEFAULT_API, WORKFRONT_API_VERSIONS } from './api-versions.ts'
export type {
  AccessToken,
  APILimits,
  CallbackResult,
  GrantInfo,
  LoginStart,
  NearCacheOptions,
  StartLoginOptions,
  WorkfrontOAuth,
  WorkfrontOAuthOptions,
} from './client.ts'
export { createWorkfrontOAuth, DEFAULT_API_VERSION } from './client.ts'
export type { ClientAddressResolver, TrustedProxyOptions } from './client-address.ts'
export { createClientAddressResolver } from './client-address.ts'
export { consoleLogger } from './defaults.ts'
export type {
  EncryptedStore,
  EncryptedStoreOptions,
  EncryptionKey,
  EncryptionKeyUsage,
} from './encrypted-store.ts'
export { encryptedStore, encryptionKeyId, generateEncryptionKey } from './encrypted-store.ts'
export type { ErrorAction, ErrorInfo } from './error-table.ts'
export { errorInfo, httpStatusFor } from './error-table.ts'
export type { WorkfrontOAuthErrorJSON, WorkfrontOAuthErrorOptions } from './errors.ts'
export { ErrorCode, isWorkfrontOAuthError, WorkfrontOAuthError } from './errors.ts'
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
export type { JWTPrivateKey, WebCryptoKey } from './jwt.ts'
export { JWT_EXCHANGE_PATH } from './jwt.ts'
export type {
  CallbackParams,
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
  WorkfrontUser,
} from './machine.ts'
export type { MemoryStore, MemoryStoreOptions } from './memory-store.ts'
export { memoryStore } from './memory-store.ts'
export { createPKCE, randomToken } from './pkce.ts'
export type {
  Clock,
  CompareAndSetOptions,
  CompareAndSetResult,
  HTTPClient,
  LockOptions,
  Logger,
  RandomSource,
  SetOptions,
  StoragePort,
  Versioned,
} from './ports.ts'
export type { ClientAuth } from './protocol.ts'
export type { RateLimit } from './rate-limit.ts'
export type { WorkfrontServerAuth, WorkfrontServerAuthOptions } from './server.ts'
export { createWorkfrontServerAuth } from './server.ts'
export type { TenantResolution } from './tenant.ts'
export { WORKFRONT_HOST_PATTERNS } from './tenant.ts'
export { isClientRejection, parseErrorCode } from './token-answers.ts'
export type {
  CookieStore,
  GuardOptions,
  GuardResult,
  HandlerContext,
  ServeOptions,
  Session,
  UnauthenticatedMode,
  WebApp,
  WebAuth,
  WebAuthOptions,
} from './web/auth.ts'
export { createWebAuth } from './web/auth.ts'
export type { CookieAttributes, CookieInstruction, HeadersInput } from './web/cookies.ts'
export { createWebFlow, DEFAULT_LOGIN_CAPACITY, DEFAULT_LOGIN_RATE_LIMIT } from './web/flow.ts'
export type {
  RequestContext,
  SessionBinding,
  SignInDecision,
  SignInEvent,
  WebFlow,
  WebFlowOptions,
  WebResult,
} from './web/flow-types.ts'
export type { ErrorPageContext } from './web/pages.ts'
export type { WebRequest } from './web/request.ts'
export { isSameOrigin } from './web/return-to.ts'
export type { VerifiedCookieCacheOptions } from './web/signer.ts'
