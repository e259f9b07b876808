/**
 * The driver's view of storage: logical keys, JSON records, and every storage failure as a typed,
 * retryable `store_unavailable`.
 */
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import type { Grant, LoginTransaction, StoredGrant } from '../machine.ts'
import type { StoragePort } from '../ports.ts'
import { safeCause } from '../protocol.ts'

/** A grant as the app may show it: no tokens. */
export interface GrantInfo {
  id: string
  origin: string
  tokenType: string
  wid: string | null
  createdAt: number
  obtainedAt: number
  expiresAt: number | null
  refreshCount: number
}

export type SaveResult =
  /** `pending`: not written yet; kept in this process and written as soon as the store takes it. */
  { ok: true; version: number; pending?: true } | { ok: false; current: StoredGrant | null }

export interface Records {
  loadGrant(grantId: string): Promise<StoredGrant | null>
  /** Compare-and-set: `expectedVersion` null means the grant must not exist yet. */
  saveGrant(grant: Grant, expectedVersion: number | null): Promise<SaveResult>
  deleteGrant(grantId: string): Promise<void>
  saveTransaction(transaction: LoginTransaction, ttlMs: number): Promise<void>
  /** Reads a login transaction without using it up. */
  peekTransaction(state: string): Promise<LoginTransaction | null>
  /** Reads and deletes a login transaction: of two racing callers, one gets it. */
  takeTransaction(state: string): Promise<LoginTransaction | null>
  /** The `state`s of the logins a browser started (by its binding hash), with the record's version. */
  browserLogins(binding: string): Promise<{ states: string[]; version: number } | null>
  /** Compare-and-set of that list; false when another write came first (read again and retry). */
  saveBrowserLogins(
    binding: string,
    states: string[],
    expectedVersion: number | null,
    ttlMs: number,
  ): Promise<boolean>
  /** Resolves once a `pending` write of the grant has settled (see `durableRecords`). */
  settled?(grantId: string): Promise<void>
}

export const grantKey = (grantId: string): string => `grant:${grantId}`
export const txKey = (state: string): string => `tx:${state}`
/** Binding hashes are base64url SHA-256; the list is only kept when state-less callbacks are allowed. */
export const browserLoginsKey = (binding: string): string => `txb:${binding}`

/** Every storage call goes through here: a failing store is a typed, retryable condition. */
export async function stored<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (isWorkfrontOAuthError(error)) throw error
    throw new WorkfrontOAuthError('store_unavailable', 'The session store is unavailable', {
      cause: safeCause(error),
    })
  }
}

/**
 * An idempotent read, tried once more when the store fails it (a dropped connection, a timeout on a busy
 * machine): reading twice changes nothing, and a request that can still be served should be.
 */
async function read<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await stored(call)
  } catch (error) {
    if (!isWorkfrontOAuthError(error, 'store_unavailable')) throw error
    return stored(call)
  }
}

export function createRecords(store: StoragePort, options: { grantTtlMs: number | null }): Records {
  const ttl = options.grantTtlMs === null ? {} : { ttlMs: options.grantTtlMs }
  const parseTransaction = (raw: string | null): LoginTransaction | null =>
    raw === null ? null : (JSON.parse(raw) as LoginTransaction)

  return {
    async loadGrant(grantId) {
      const record = await read(() => store.getVersioned(grantKey(grantId)))
      return record ? { grant: JSON.parse(record.value) as Grant, version: record.version } : null
    },
    async saveGrant(grant, expectedVersion) {
      const result = await stored(() =>
        store.compareAndSet(grantKey(grant.id), JSON.stringify(grant), { expectedVersion, ...ttl }),
      )
      if (result.ok) return result
      const { current } = result
      return {
        ok: false,
        current: current ? { grant: JSON.parse(current.value) as Grant, version: current.version } : null,
      }
    },
    deleteGrant: (grantId) => stored(() => store.delete(grantKey(grantId))),
    saveTransaction: (transaction, ttlMs) =>
      stored(() => store.set(txKey(transaction.state), JSON.stringify(transaction), { ttlMs })),
    peekTransaction: async (state) => parseTransaction(await read(() => store.get(txKey(state)))),
    takeTransaction: async (state) => parseTransaction(await stored(() => store.take(txKey(state)))),
    async browserLogins(binding) {
      const record = await stored(() => store.getVersioned(browserLoginsKey(binding)))
      return record ? { states: JSON.parse(record.value) as string[], version: record.version } : null
    },
    async saveBrowserLogins(binding, states, expectedVersion, ttlMs) {
      const result = await stored(() =>
        store.compareAndSet(browserLoginsKey(binding), JSON.stringify(states), { expectedVersion, ttlMs }),
      )
      return result.ok
    },
  }
}

/** The public view of a grant: what an app may show or keep, without its tokens. */
export function grantInfo(grant: Grant): GrantInfo {
  return {
    id: grant.id,
    origin: grant.origin,
    tokenType: grant.tokenType,
    wid: grant.wid,
    createdAt: grant.createdAt,
    obtainedAt: grant.obtainedAt,
    expiresAt: grant.expiresAt,
    refreshCount: grant.refreshCount,
  }
}
