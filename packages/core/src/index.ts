/**
 * @module `@workfront-oauth/core`: Adobe Workfront OAuth2 (authorization code and refresh token flows) as a
 * pure state machine driven over pluggable HTTP and storage ports. Web-standard APIs only: runs unchanged
 * on Node, workerd, Deno and Bun.
 *
 * This entry point is what a web app needs: the OAuth client, the sign-in routes and guard, the stores that
 * need no server, the API client and the errors. Server jobs (the Machine to Machine flow) are in
 * `@workfront-oauth/core/server`; the building blocks of adapters, stores and instrumentations (the
 * machine's steps, the storage port's parts, cookies, tenant parsing, API versions, the client-address
 * resolver) in `@workfront-oauth/core/adapters`; test helpers in `@workfront-oauth/core/testing`.
 */
export type { FilterValue, SearchOptions, WorkfrontClient, WorkfrontObject, WorkfrontSession } from './api.ts'
export { createWorkfrontClient } from './api.ts'
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
export { consoleLogger } from './defaults.ts'
export type { EncryptedStore, EncryptedStoreOptions, EncryptionKey } from './encrypted-store.ts'
export { encryptedStore, encryptionKeyId, generateEncryptionKey } from './encrypted-store.ts'
export type { ErrorInfo } from './error-table.ts'
export { errorInfo, httpStatusFor } from './error-table.ts'
export type { WorkfrontOAuthErrorJSON } from './errors.ts'
export { ErrorCode, isWorkfrontOAuthError, WorkfrontOAuthError } from './errors.ts'
export type { CallbackParams, WorkfrontUser } from './machine.ts'
export type { MemoryStore, MemoryStoreOptions } from './memory-store.ts'
export { memoryStore } from './memory-store.ts'
export type { HTTPClient, Logger, StoragePort } from './ports.ts'
export { createWebAuth } from './web/auth.ts'
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
} from './web/auth-types.ts'
export type { CookieInstruction } from './web/cookies.ts'
export { createWebFlow } from './web/flow.ts'
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
