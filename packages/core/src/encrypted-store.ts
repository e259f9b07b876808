/**
 * Tokens at rest: a storage decorator that encrypts every stored value with AES-256-GCM (Web Crypto).
 *
 * Envelope: `wfe1.<key id>.<iv>.<ciphertext+tag>` (base64url); every envelope ever written names its key. The
 * storage key is the additional authenticated data, so a record copied under another key does not decrypt.
 * Writes use the first key; reads accept any listed key, which is how keys rotate: put the new key first,
 * keep the old ones until every record has been rewritten (grants are rewritten on every refresh).
 *
 * A rolling deploy has instances with and without the new key at once, in either order. So a record sealed
 * by a key this instance does not have is never treated as lost: it is left as it is, and reading it fails
 * with `unknown_encryption_key` (503, retry) until the key is configured here — or named retired
 * (`retiredKeyIds`), which is what makes such records undecryptable on purpose.
 */

import { consoleLogger, cryptoRandom } from './defaults.ts'
import { base64url, fromBase64url, utf8 } from './encoding.ts'
import { WorkfrontOAuthError } from './errors.ts'
import type { Logger, RandomSource, StoragePort, Versioned } from './ports.ts'

/** A key of `encryptedStore()`: 32 bytes, and an id recorded with each value it seals. */
export interface EncryptionKey {
  /**
   * A short public name for the key, e.g. `2026-11`: `[A-Za-z0-9_-]{1,32}`. Absent: derived from the key
   * (`encryptionKeyId`), so that a different key never reuses an id.
   */
  id?: string
  /** 32 random bytes, raw or base64url. */
  key: Uint8Array | string
}

/** Options of `encryptedStore()`. */
export interface EncryptedStoreOptions {
  /** The first key encrypts; all of them decrypt. */
  keys: readonly EncryptionKey[]
  /**
   * Ids of keys taken out of use: a record one of them sealed is undecryptable (see `undecryptable`).
   * Default none: a record sealed by a key that is neither in `keys` nor retired is left alone, and reading
   * it rejects with `unknown_encryption_key` — during a rolling deploy that key is another instance's new
   * one. `'*'`: every id not in `keys` is retired; only for a key that never rotates across instances (a
   * throwaway key of one process), since an instance not yet upgraded would then retire the new key.
   */
  retiredKeyIds?: readonly string[] | '*'
  /** Source of the IVs. Default: `crypto.getRandomValues`. */
  random?: RandomSource
  /**
   * What a record that no listed key decrypts (retired key, wrong key, corrupt or foreign record) means.
   * `'error'` (default): reads reject with `decryption_failed` and the record stays. `'delete'`: the record
   * is deleted and reads answer as if it were absent, so a user whose grant was sealed with a retired key is
   * simply signed out (the driver answers `grant_not_found`); the logger is told once. A record of a key
   * this instance does not know is never deleted (see `retiredKeyIds`).
   */
  undecryptable?: 'error' | 'delete'
  /** Told about deleted records and about records of keys this instance does not have. Default `console`. */
  logger?: Logger
}

/**
 * What an `encryptedStore()` has seen of its keys since it was made: a rotation is complete when no record
 * is left on an older key. Counts of this instance only (the `StoragePort` cannot list records): sum them
 * over your instances, over a time that covers your users' visits.
 */
export interface EncryptionKeyUsage {
  /** The id of the key that seals every write (the first of `keys`). */
  sealingKeyId: string
  /** Records opened, by the id of the key that sealed them: a counter, for a metric. */
  opened: Record<string, number>
  /**
   * Records last seen sealed by another key than the sealing one, by that key's id (unknown ids too): those
   * a rotation still has to re-seal. A record leaves the count when this store writes it (it is then sealed
   * with the sealing key), deletes it, or reads it re-sealed; at most 10,000 records are tracked.
   */
  stale: Record<string, number>
  /** Reads refused with `unknown_encryption_key`, by the key id the record names: a counter. */
  refused: Record<string, number>
}

/** A `StoragePort` that encrypts what it stores, and reports which keys the records it sees use. */
export interface EncryptedStore extends StoragePort {
  /** The keys of the records this store has seen: how far a rotation has come. */
  keyUsage(): Promise<EncryptionKeyUsage>
}

type UndecryptableReason = 'not_encrypted' | 'retired_key' | 'malformed' | 'authentication_failed'

class UndecryptableError extends WorkfrontOAuthError {
  constructor(
    readonly reason: UndecryptableReason,
    readonly keyId: string | null,
    why: string,
  ) {
    super('decryption_failed', `A stored record could not be decrypted (${why})`)
  }
}

/** Keys reported recently: concurrent reads of one record log it once. */
const REPORTED_MAX = 1_000
/** Records tracked for `EncryptionKeyUsage.stale`. */
const STALE_MAX = 10_000
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/

const VERSION = 'wfe1'

/**
 * Wraps a `StoragePort` so that every value (grants with their tokens, login transactions) is stored
 * encrypted with AES-256-GCM and bound to its key; the first key seals, every key opens (key rotation).
 */
export function encryptedStore(inner: StoragePort, options: EncryptedStoreOptions): EncryptedStore {
  if (options.keys.length === 0)
    throw new WorkfrontOAuthError('invalid_options', 'encryptedStore needs at least one key')
  const random = options.random ?? cryptoRandom
  const listed = options.keys.map(({ id, key }) => {
    if (id !== undefined && !KEY_ID.test(id))
      throw new WorkfrontOAuthError('invalid_options', 'Encryption key ids are 1–32 of [A-Za-z0-9_-]')
    const raw = typeof key === 'string' ? fromBase64url(key) : new Uint8Array(key)
    if (raw?.length !== 32)
      throw new WorkfrontOAuthError(
        'invalid_options',
        `Encryption key ${id ?? 'without id'} must be 32 bytes`,
      )
    return { id, raw }
  })
  const explicit = listed.flatMap(({ id }) => (id === undefined ? [] : [id]))
  const twice = explicit.find((id, i) => explicit.indexOf(id) !== i)
  if (twice !== undefined)
    throw new WorkfrontOAuthError('invalid_options', `Encryption key id ${twice} is listed twice`)
  const retired = options.retiredKeyIds ?? []
  if (retired !== '*' && retired.some((id) => !KEY_ID.test(id)))
    throw new WorkfrontOAuthError('invalid_options', 'Retired key ids are 1–32 of [A-Za-z0-9_-]')
  /** Ids and imported keys; derived ids need a digest, so the table is ready asynchronously. */
  const table = (async () => {
    const keys = new Map<string, CryptoKey>()
    for (const { id, raw } of listed) {
      const name = id ?? (await encryptionKeyId(raw))
      if (keys.has(name))
        throw new WorkfrontOAuthError('invalid_options', `Encryption key id ${name} is listed twice`)
      if (retired !== '*' && retired.includes(name))
        throw new WorkfrontOAuthError('invalid_options', `Encryption key ${name} is both listed and retired`)
      keys.set(name, await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']))
    }
    return { keys, current: keys.keys().next().value as string }
  })()
  // Surfaced by the first operation; not an unhandled rejection before it.
  let sealing: string | undefined
  table.then(
    ({ current }) => {
      sealing = current
    },
    () => undefined,
  )

  async function seal(storageKey: string, plaintext: string): Promise<string> {
    const { keys, current } = await table
    const iv = new Uint8Array(random.bytes(12))
    const key = keys.get(current) as CryptoKey
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: utf8(storageKey) },
      key,
      utf8(plaintext),
    )
    return `${VERSION}.${current}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`
  }

  /**
   * The key id an envelope names, when it is one this instance neither has nor retired: such a record is
   * another instance's to open, and is left alone.
   */
  async function unknownKeyOf(envelope: string): Promise<string | null> {
    const parts = envelope.split('.')
    const id = parts[1] as string
    if (parts.length !== 4 || parts[0] !== VERSION || !KEY_ID.test(id)) return null
    if (retired === '*' || retired.includes(id) || (await table).keys.has(id)) return null
    return id
  }

  async function refuseUnknown(storageKey: string, id: string): Promise<never> {
    const configured = [...(await table).keys.keys()].join(', ')
    count(usage.refused, id)
    track(storageKey, id)
    if (!unknownReported.has(id)) {
      if (unknownReported.size >= REPORTED_MAX) unknownReported.clear()
      unknownReported.add(id)
      logger.warn(
        'a stored record is sealed with a key this instance does not have; it is kept, and reading it fails with unknown_encryption_key until the key is configured here (a rollout in progress?) or retired',
        { kind: kindOf(storageKey), keyId: id, configuredKeyIds: configured.replace(/, /g, ',') },
      )
    }
    // The id read from the record goes to the log and to `keyUsage()`, not into the error: the record may
    // be anything (the message repeats only this instance's own ids).
    throw new WorkfrontOAuthError(
      'unknown_encryption_key',
      `A stored record is sealed with an encryption key this instance does not have (it has ${configured})`,
    )
  }

  async function open(storageKey: string, envelope: string): Promise<string> {
    const unknown = await unknownKeyOf(envelope)
    if (unknown !== null) return refuseUnknown(storageKey, unknown)
    const parts = envelope.split('.')
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw new UndecryptableError('not_encrypted', null, 'not an encrypted envelope')
    }
    const { keys } = await table
    const id = parts[1] as string
    const key = keys.get(id)
    // Nothing read from the record goes into the message (it may not be an envelope at all, e.g. a token
    // stored before encryption was turned on); the configured ids say enough to diagnose a rotation.
    if (!key) {
      if (!KEY_ID.test(id)) throw new UndecryptableError('malformed', null, 'malformed envelope')
      throw new UndecryptableError(
        'retired_key',
        id,
        `its key is retired; the keys are ${[...keys.keys()].join(', ')}`,
      )
    }
    const fail = (reason: UndecryptableReason, why: string): UndecryptableError =>
      new UndecryptableError(reason, id, why)
    const iv = fromBase64url(parts[2] as string)
    const data = fromBase64url(parts[3] as string)
    if (iv?.length !== 12 || !data) throw fail('malformed', 'malformed envelope')
    let plain: ArrayBuffer
    try {
      plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: utf8(storageKey) },
        key,
        data,
      )
    } catch {
      throw fail('authentication_failed', 'authentication failed')
    }
    count(usage.opened, id)
    track(storageKey, id)
    return new TextDecoder().decode(plain)
  }

  const deleteUndecryptable = options.undecryptable === 'delete'
  const logger = options.logger ?? consoleLogger
  const reported = new Set<string>()
  const unknownReported = new Set<string>()
  const usage = { opened: {} as Record<string, number>, refused: {} as Record<string, number> }
  /** Records last seen on another key than the sealing one, with that key's id (oldest first). */
  const stale = new Map<string, string>()
  const count = (counts: Record<string, number>, id: string): void => {
    counts[id] = (counts[id] ?? 0) + 1
  }
  /**
   * Notes which key a record was last seen sealed with (`null`: it is gone). Called once the key table is
   * ready (every caller has awaited it), so `sealing` is known.
   */
  function track(storageKey: string, id: string | null): void {
    stale.delete(storageKey)
    if (id === null || id === sealing) return
    if (stale.size >= STALE_MAX) stale.delete(stale.keys().next().value as string)
    stale.set(storageKey, id)
  }

  /** Opens a record; in `'delete'` mode one that does not open is deleted and reads as absent. */
  async function read(storageKey: string, envelope: string, deleted: boolean): Promise<string | null> {
    try {
      return await open(storageKey, envelope)
    } catch (error) {
      if (!deleteUndecryptable || !(error instanceof UndecryptableError)) throw error
      if (!deleted) await inner.delete(storageKey)
      track(storageKey, null)
      if (!reported.has(storageKey)) {
        if (reported.size >= REPORTED_MAX) reported.clear()
        reported.add(storageKey)
        logger.warn('deleted a stored record that no configured key decrypts', {
          kind: kindOf(storageKey),
          reason: error.reason,
          keyId: error.keyId,
          configuredKeyIds: [...(await table).keys.keys()].join(','),
        })
      }
      return null
    }
  }
  const openMaybe = async (key: string, value: string | null, deleted = false): Promise<string | null> =>
    value === null ? null : read(key, value, deleted)
  async function openVersioned(key: string, record: Versioned | null): Promise<Versioned | null> {
    if (record === null) return null
    const value = await read(key, record.value, false)
    return value === null ? null : { value, version: record.version }
  }

  return {
    async get(key) {
      return openMaybe(key, await inner.get(key))
    },
    async set(key, value, opts) {
      await inner.set(key, await seal(key, value), opts)
      track(key, sealing as string)
    },
    async take(key) {
      // A record of a key this instance does not have must survive for the instance that has it (a sign-in
      // that started on an upgraded instance and comes back here): look before taking.
      const peeked = await inner.get(key)
      if (peeked === null) return null
      const unknown = await unknownKeyOf(peeked)
      if (unknown !== null) return refuseUnknown(key, unknown)
      const taken = await openMaybe(key, await inner.take(key), true)
      track(key, null)
      return taken
    },
    async delete(key) {
      await inner.delete(key)
      track(key, null)
    },
    async getVersioned(key) {
      return openVersioned(key, await inner.getVersioned(key))
    },
    async compareAndSet(key, value, opts) {
      const result = await inner.compareAndSet(key, await seal(key, value), opts)
      if (result.ok) track(key, sealing as string)
      return result.ok ? result : { ok: false, current: await openVersioned(key, result.current) }
    },
    async keyUsage() {
      const { current } = await table
      const counts: Record<string, number> = {}
      for (const id of stale.values()) count(counts, id)
      return {
        sealingKeyId: current,
        opened: { ...usage.opened },
        stale: counts,
        refused: { ...usage.refused },
      }
    },
    acquireLock: (key, opts) => inner.acquireLock(key, opts),
    extendLock: (key, opts) => inner.extendLock(key, opts),
    releaseLock: (key, opts) => inner.releaseLock(key, opts),
    ...(inner.waitForUnlock ? { waitForUnlock: inner.waitForUnlock.bind(inner) } : {}),
    ...(inner.watchChanges ? { watchChanges: inner.watchChanges.bind(inner) } : {}),
  } satisfies EncryptedStore
}

/** The key's kind (`grant`, `tx`) but not its id: a grant id is what a session cookie carries. */
const kindOf = (storageKey: string): string => storageKey.split(':', 1)[0] ?? ''

/**
 * The id a key gets when none is given: `k` and 11 base64url characters of SHA-256 over a fixed label and
 * the key. A digest (one-way) of the key, so the id says which key sealed a record without revealing it.
 */
export async function encryptionKeyId(key: Uint8Array | string): Promise<string> {
  const raw = typeof key === 'string' ? fromBase64url(key) : key
  if (raw?.length !== 32) throw new WorkfrontOAuthError('invalid_options', 'Encryption keys are 32 bytes')
  const label = utf8('workfront-oauth key id\0')
  const input = new Uint8Array(label.length + raw.length)
  input.set(label)
  input.set(raw, label.length)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', input))
  return `k${base64url(digest).slice(0, 11)}`
}

/** A fresh random 32-byte key, base64url-encoded (for configuration files and secrets managers). */
export function generateEncryptionKey(random: RandomSource = cryptoRandom): string {
  return base64url(random.bytes(32))
}
