/**
 * @module `@workfront-oauth/cloudflare-store`: the storage port of `@workfront-oauth/core` on Cloudflare
 * Durable Objects — single-use login transactions, versioned grants written by compare-and-set, and the
 * leased refresh lock whose waiters are woken inside the object — for Workers, where memory is per isolate
 * and a socket lives as long as one request.
 */
export { WorkfrontOAuthStore } from './object.ts'
export {
  type DurableObjectStore,
  type DurableObjectStoreOptions,
  durableObjectStore,
  objectName,
} from './store.ts'
