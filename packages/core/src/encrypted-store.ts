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
import type { RandomSource, StoragePort, Versioned } from './ports.ts'
import { cryptoRandom } from './ports.ts'

export interface EncryptionKey {
  /** A short public name for the key, e.g. `2026-11`: `[A-Za-z0-9_-]{1,32}`. */
  id: string
  /** 32 random bytes, raw or base64url. */
  key: Uint8Array | string
}

export interface EncryptedStoreOptions {
  /** The first key encrypts; all of them decrypt. */
  keys: readonly EncryptionKey[]
  /** Source of the IVs. Default: `crypto.getRandomValues`. */
  random?: RandomSource
}

const VERSION = 'wfe1'

export function encryptedStore(inner: StoragePort, options: EncryptedStoreOptions): StoragePort {
  if (options.keys.length === 0)
    throw new WorkfrontOAuthError('invalid_options', 'encryptedStore needs at least one key')
  const keys = new Map<string, Promise<CryptoKey>>()
  for (const { id, key } of options.keys) {
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(id))
      throw new WorkfrontOAuthError('invalid_options', 'Encryption key ids are 1–32 of [A-Za-z0-9_-]')
    if (keys.has(id))
      throw new WorkfrontOAuthError('invalid_options', `Encryption key id ${id} is listed twice`)
    const raw = typeof key === 'string' ? fromBase64url(key) : new Uint8Array(key)
    if (raw?.length !== 32)
      throw new WorkfrontOAuthError('invalid_options', `Encryption key ${id} must be 32 bytes`)
    keys.set(id, crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']))
  }
  const current = (options.keys[0] as EncryptionKey).id
  const random = options.random ?? cryptoRandom

  async function seal(storageKey: string, plaintext: string): Promise<string> {
    const iv = new Uint8Array(random.bytes(12))
    const key = await (keys.get(current) as Promise<CryptoKey>)
    const sealed = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: utf8(storageKey) },
      key,
      utf8(plaintext),
    )
    return `${VERSION}.${current}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`
  }

  async function open(storageKey: string, envelope: string): Promise<string> {
    const parts = envelope.split('.')
    const fail = (why: string): WorkfrontOAuthError =>
      new WorkfrontOAuthError('decryption_failed', `A stored record could not be decrypted (${why})`)
    if (parts.length !== 4 || parts[0] !== VERSION) throw fail('not an encrypted envelope')
    const key = keys.get(parts[1] as string)
    // Nothing read from the record goes into the message (it may not be an envelope at all, e.g. a token
    // stored before encryption was turned on); the configured ids say enough to diagnose a rotation.
    if (!key) throw fail(`its key id is not one of ${[...keys.keys()].join(', ')}`)
    const iv = fromBase64url(parts[2] as string)
    const data = fromBase64url(parts[3] as string)
    if (iv?.length !== 12 || !data) throw fail('malformed envelope')
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv, additionalData: utf8(storageKey) },
        await key,
        data,
      )
      return new TextDecoder().decode(plain)
    } catch {
      throw fail('authentication failed')
    }
  }

  const openMaybe = async (key: string, value: string | null): Promise<string | null> =>
    value === null ? null : open(key, value)
  const openVersioned = async (key: string, record: Versioned | null): Promise<Versioned | null> =>
    record === null ? null : { value: await open(key, record.value), version: record.version }

  return {
    async get(key) {
      return openMaybe(key, await inner.get(key))
    },
    async set(key, value, opts) {
      await inner.set(key, await seal(key, value), opts)
    },
    async take(key) {
      return openMaybe(key, await inner.take(key))
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
  } satisfies StoragePort
}

/** A fresh random 32-byte key, base64url-encoded (for configuration files and secrets managers). */
export function generateEncryptionKey(random: RandomSource = cryptoRandom): string {
  return base64url(random.bytes(32))
}
