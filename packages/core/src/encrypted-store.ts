/**
 * Tokens at rest: a storage decorator that encrypts every stored value with AES-256-GCM (Web Crypto).
 *
 * Envelope: `wfe1.<key id>.<iv>.<ciphertext+tag>` (base64url). The storage key is the additional
 * authenticated data, so a record copied under another key does not decrypt. Writes use the first key;
 * reads accept any listed key, which is how keys rotate: put the new key first, keep the old ones until
 * every record has been rewritten (grants are rewritten on every refresh).
 */
import { base64url, fromBase64url, utf8 } from './encoding.ts'
import { WorkfrontOAuthError } from './errors.ts'
import type { Logger, RandomSource, StoragePort, Versioned } from './ports.ts'
import { consoleLogger, cryptoRandom } from './ports.ts'

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
  /** Source of the IVs. Default: `crypto.getRandomValues`. */
  random?: RandomSource
  /**
   * What a record that no listed key decrypts (unknown key id, wrong key, corrupt or foreign record)
   * means. `'error'` (default): reads reject with `decryption_failed` and the record stays. `'delete'`: the
   * record is deleted and reads answer as if it were absent, so a user whose grant was sealed with a key
   * that is gone is simply signed out (the driver answers `grant_not_found`); the logger is told once.
   */
  undecryptable?: 'error' | 'delete'
  /** Told about deleted records (`undecryptable: 'delete'`). Default `console`. */
  logger?: Logger
}

type UndecryptableReason = 'not_encrypted' | 'unknown_key' | 'malformed' | 'authentication_failed'

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

const VERSION = 'wfe1'

/**
 * Wraps a `StoragePort` so that every value (grants with their tokens, login transactions) is stored
 * encrypted with AES-256-GCM and bound to its key; the first key seals, every key opens (key rotation).
 */
export function encryptedStore(inner: StoragePort, options: EncryptedStoreOptions): StoragePort {
  if (options.keys.length === 0)
    throw new WorkfrontOAuthError('invalid_options', 'encryptedStore needs at least one key')
  const random = options.random ?? cryptoRandom
  const listed = options.keys.map(({ id, key }) => {
    if (id !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(id))
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
  /** Ids and imported keys; derived ids need a digest, so the table is ready asynchronously. */
  const table = (async () => {
    const keys = new Map<string, CryptoKey>()
    for (const { id, raw } of listed) {
      const name = id ?? (await encryptionKeyId(raw))
      if (keys.has(name))
        throw new WorkfrontOAuthError('invalid_options', `Encryption key id ${name} is listed twice`)
      keys.set(name, await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']))
    }
    return { keys, current: keys.keys().next().value as string }
  })()
  // Surfaced by the first operation; not an unhandled rejection before it.
  table.catch(() => undefined)

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

  async function open(storageKey: string, envelope: string): Promise<string> {
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
      const shown = /^[A-Za-z0-9_-]{1,32}$/.test(id) ? id : null
      throw new UndecryptableError(
        'unknown_key',
        shown,
        `its key id is not one of ${[...keys.keys()].join(', ')}`,
      )
    }
    const fail = (reason: UndecryptableReason, why: string): UndecryptableError =>
      new UndecryptableError(reason, id, why)
    const iv = fromBase64url(parts[2] as string)
    const data = fromBase64url(parts[3] as string)
    if (iv?.length !== 12 || !data) throw fail('malformed', 'malformed envelope')
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: utf8(storageKey) },
        key,
        data,
      )
      return new TextDecoder().decode(plain)
    } catch {
      throw fail('authentication_failed', 'authentication failed')
    }
  }

  const deleteUndecryptable = options.undecryptable === 'delete'
  const logger = options.logger ?? consoleLogger
  const reported = new Set<string>()

  /** Opens a record; in `'delete'` mode one that does not open is deleted and reads as absent. */
  async function read(storageKey: string, envelope: string, deleted: boolean): Promise<string | null> {
    try {
      return await open(storageKey, envelope)
    } catch (error) {
      if (!deleteUndecryptable || !(error instanceof UndecryptableError)) throw error
      if (!deleted) await inner.delete(storageKey)
      if (!reported.has(storageKey)) {
        if (reported.size >= REPORTED_MAX) reported.clear()
        reported.add(storageKey)
        // The key's kind (`grant`, `tx`) but not its id: a grant id is what a session cookie carries.
        logger.warn('deleted a stored record that no configured key decrypts', {
          kind: storageKey.split(':', 1)[0] ?? '',
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
    },
    async take(key) {
      return openMaybe(key, await inner.take(key), true)
    },
    delete: (key) => inner.delete(key),
    async getVersioned(key) {
      return openVersioned(key, await inner.getVersioned(key))
    },
    async compareAndSet(key, value, opts) {
      const result = await inner.compareAndSet(key, await seal(key, value), opts)
      return result.ok ? result : { ok: false, current: await openVersioned(key, result.current) }
    },
    acquireLock: (key, opts) => inner.acquireLock(key, opts),
    extendLock: (key, opts) => inner.extendLock(key, opts),
    releaseLock: (key, opts) => inner.releaseLock(key, opts),
    ...(inner.waitForUnlock ? { waitForUnlock: inner.waitForUnlock.bind(inner) } : {}),
    ...(inner.watchChanges ? { watchChanges: inner.watchChanges.bind(inner) } : {}),
  } satisfies StoragePort
}

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
