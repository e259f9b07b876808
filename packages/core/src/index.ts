/**
 * @module `@workfront-oauth/core`: Adobe Workfront OAuth2 (authorization code and refresh token flows) as a
 * pure state machine driven over pluggable HTTP and storage ports. Web-standard APIs only: runs unchanged
 * on Node, workerd, Deno and Bun.
 */
export * from './api.ts'
export type { APIVersion, APIVersionEntry, APIVersionStatus } from './api-versions.ts'
export { apiVersionStatus, DEFAULT_API, WORKFRONT_API_VERSIONS } from './api-versions.ts'
export * from './client.ts'
export type { EncryptedStoreOptions, EncryptionKey } from './encrypted-store.ts'
export { encryptedStore, encryptionKeyId, generateEncryptionKey } from './encrypted-store.ts'
export * from './errors.ts'
export type { JWTPrivateKey, WebCryptoKey } from './jwt.ts'
export { JWT_EXCHANGE_PATH } from './jwt.ts'
export * from './machine.ts'
export * from './memory-store.ts'
export { createPKCE, randomToken } from './pkce.ts'
export * from './ports.ts'
export type { ClientAuth } from './protocol.ts'
export { isClientRejection, parseErrorCode } from './protocol.ts'
export type { RateLimit } from './rate-limit.ts'
export * from './server.ts'
export * from './tenant.ts'
export * from './web.ts'
