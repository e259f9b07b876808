/**
 * The driver's view of storage: logical keys, JSON records, and every storage failure as a typed,
 * retryable `store_unavailable`.
 */
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import type { Grant, LoginTransaction, StoredGrant, WorkfrontUser } from '../machine.ts'
import type { StoragePort } from '../ports.ts'
import { safeCause } from '../token-answers.ts'
import type { NearCache } from './near-cache.ts'

/** A grant as the app may show it: no tokens. */
export interface GrantInfo {
  /** The grant's id: what the session cookie points to. A secret of the browser's: never show or log it. */
  id: string
  /** The tenant's origin (`https://acme.my.workfront.com`). */
  origin: string
  /** As Workfront sent it: `sessionID`. */
  tokenType: string
  /** Workfront's undocumented `wid`, kept as it came; null when absent. */
  wid: string | null
  /** When the user signed in (ms since the epoch). */
  createdAt: number
  /** When the current session was obtained (at sign-in or at the last refresh). */
  obtainedAt: number
  /** When the session expires, if Workfront said; null when unknown (Workfront sends `expires_in: 0`). */
  expiresAt: number | null
  /** How many times the session was refreshed. */
  refreshCount: number
  /** Who signed in, as read at sign-in (see `WorkfrontOAuthOptions.user`); null when not read. */
  user: WorkfrontUser | null
}

export type SaveResult =
  /** `pending`: not written yet; kept in this process and written as soon as the store takes it. */
  { ok: true; version: number; pending?: true } | { ok: false; current: StoredGrant | null }

export interface Records {
  /** The grant as the store has it now (the truth every decision to refresh is made on). */
  loadGrant(grantId: string): Promise<StoredGrant | null>
  /** The grant from the near cache while it has it, else from the store: for the hot path only. */
  cachedGrant(grantId: string): Promise<StoredGrant | null>
  /** What the near cache has of the grant, without going to the store (the hot path's fast lane). */
  peekGrant(grantId: string): StoredGrant | undefined
  /** Compare-and-set: `expectedVersion` null means the grant must not exist yet. */
  saveGrant(grant: Grant, expectedVersion: number | null): Promise<SaveResult>
  /**
   * Compare-and-set of a refresh claim or its withdrawal: written now or not at all (a store failure
   * rejects), never kept to be written later, since a late claim would stop others for nothing.
   */
  claimGrant(grant: Grant, expectedVersion: number): Promise<SaveResult>
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

/**
 * Every storage call goes through here, once: a failing store is a typed, retryable condition. Retrying is
 * the store's to do (see `StoragePort`): it knows which failures are worth another attempt and how long
 * each may take, and a second layer of retries would multiply the time a request waits in an outage.
 */
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

const GRANT_PREFIX = 'grant:'

export function createRecords(
  store: StoragePort,
  options: { grantTtlMs: number | null; nearCache?: NearCache | null },
): Records {
  const ttl = options.grantTtlMs === null ? {} : { ttlMs: options.grantTtlMs }
  const cache = options.nearCache ?? null
  const parseTransaction = (raw: string | null): LoginTransaction | null =>
    raw === null ? null : (JSON.parse(raw) as LoginTransaction)
  const parseGrant = (value: string, version: number): StoredGrant => ({
    grant: JSON.parse(value) as Grant,
    version,
  })
  // Subscribed on the first cached read, so that a client that never serves the hot path (a per-request
  // client in a Worker) opens no channel.
  let watching = false

  /** What the store said about a grant, also told to the near cache. */
  function seen(grantId: string, stored: StoredGrant | null, since: number): StoredGrant | null {
    if (cache === null) return stored
    if (stored === null) cache.drop(grantId)
    else cache.put(grantId, stored, since)
    return stored
  }

  function peek(grantId: string): StoredGrant | undefined {
    if (cache === null) return undefined
    if (!watching && store.watchChanges) {
      watching = true
      store.watchChanges((key) => {
        if (key === null) cache.clear()
        else if (key.startsWith(GRANT_PREFIX)) cache.drop(key.slice(GRANT_PREFIX.length))
      })
    }
    return cache.get(grantId)
  }

  async function loadGrant(grantId: string): Promise<StoredGrant | null> {
    const since = cache?.begin() ?? 0
    const record = await stored(() => store.getVersioned(grantKey(grantId)))
    return seen(grantId, record ? parseGrant(record.value, record.version) : null, since)
  }

  async function saveGrant(grant: Grant, expectedVersion: number | null): Promise<SaveResult> {
    const since = cache?.begin() ?? 0
    const result = await stored(() =>
      store.compareAndSet(grantKey(grant.id), JSON.stringify(grant), { expectedVersion, ...ttl }),
    )
    if (result.ok) {
      seen(grant.id, { grant, version: result.version }, since)
      return result
    }
    const { current } = result
    return {
      ok: false,
      current: seen(grant.id, current ? parseGrant(current.value, current.version) : null, since),
    }
  }

  return {
    loadGrant,
    async cachedGrant(grantId) {
      return peek(grantId) ?? loadGrant(grantId)
    },
    peekGrant: peek,
    saveGrant,
    claimGrant: saveGrant,
    async deleteGrant(grantId) {
      cache?.drop(grantId)
      await stored(() => store.delete(grantKey(grantId)))
      cache?.drop(grantId)
    },
    saveTransaction: (transaction, ttlMs) =>
      stored(() => store.set(txKey(transaction.state), JSON.stringify(transaction), { ttlMs })),
    peekTransaction: async (state) => parseTransaction(await stored(() => store.get(txKey(state)))),
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
    user: grant.user ?? null,
  }
}
