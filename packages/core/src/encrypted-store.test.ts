import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createWorkfrontOAuth } from './client.ts'
import { base64url, fromBase64url } from './encoding.ts'
import type { EncryptionKey } from './encrypted-store.ts'
import { encryptedStore, encryptionKeyId, generateEncryptionKey } from './encrypted-store.ts'
import { httpStatusFor } from './error-table.ts'
import type { ErrorCode } from './errors.ts'
import { isWorkfrontOAuthError } from './errors.ts'
import { memoryStore } from './memory-store.ts'
import type { StoragePort } from './ports.ts'
import { failure } from './test/failure.ts'
import { createTokenEndpoint } from './test/token-endpoint.ts'
import { createFakeClock, storageContract } from './testing.ts'

storageContract('encrypted(memory)', { describe, it, expect, beforeEach, afterEach }, async () => {
  const clock = createFakeClock()
  return {
    store: encryptedStore(memoryStore({ clock }), { keys: [{ id: 'k1', key: generateEncryptionKey() }] }),
    advance: async (ms) => clock.advance(ms),
  }
})

const keyA = { id: '2026-01', key: generateEncryptionKey() } satisfies EncryptionKey
const keyB = { id: '2026-11', key: generateEncryptionKey() } satisfies EncryptionKey

/** A grant as the driver stores it: every field below is something an attacker with the store wants. */
const ACCESS = 'sess-7f3c9a1e5b2d4c6e8a0b'
const REFRESH = 'rfr-44d1e0c9b7a6f5e4d3c2'
const ORIGIN = 'https://acme.my.workfront.com'
const grantJSON = JSON.stringify({
  id: 'grant-1',
  origin: ORIGIN,
  accessToken: ACCESS,
  refreshToken: REFRESH,
  tokenType: 'sessionID',
  wid: 'wid-0123456789',
  createdAt: 1,
  obtainedAt: 1,
  expiresAt: null,
  refreshCount: 0,
})
const distinctive = [
  ACCESS,
  REFRESH,
  'acme.my.workfront.com',
  'accessToken',
  'refreshToken',
  'sessionID',
  'wid-0123',
]

function setup(keys: readonly EncryptionKey[] = [keyA]): { inner: StoragePort; store: StoragePort } {
  const inner = memoryStore({ clock: createFakeClock() })
  return { inner, store: encryptedStore(inner, { keys }) }
}

function parts(envelope: string): [string, string, Uint8Array, Uint8Array] {
  const [version, id, iv, data] = envelope.split('.') as [string, string, string, string]
  return [version, id, fromBase64url(iv) as Uint8Array, fromBase64url(data) as Uint8Array]
}

function envelope(id: string, iv: Uint8Array, data: Uint8Array): string {
  return `wfe1.${id}.${base64url(iv)}.${base64url(data)}`
}

function flipped(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes)
  copy[index] = (copy[index] as number) ^ 0x01
  return copy
}

/** Rejects with `code`, and nothing about the record's contents leaks into the error. */
async function expectFailure(
  promise: Promise<unknown>,
  code: ErrorCode = 'decryption_failed',
): Promise<void> {
  const error = await promise.then(
    () => expect.unreachable('expected a rejection'),
    (e: unknown) => e,
  )
  expect(isWorkfrontOAuthError(error, code)).toBe(true)
  const texts = [(error as Error).message, String(error), JSON.stringify(error)]
  for (const text of texts) {
    for (const secret of [...distinctive, keyA.key as string, keyB.key as string]) {
      expect(text).not.toContain(secret)
    }
  }
}

describe('encryptedStore: round trip', () => {
  it('returns plain values as they were written', async () => {
    const { store } = setup()
    await store.set('tx:1', grantJSON, { ttlMs: 60_000 })
    expect(await store.get('tx:1')).toBe(grantJSON)
    expect(await store.take('tx:1')).toBe(grantJSON)
    expect(await store.get('tx:1')).toBeNull()
  })

  it('round-trips the empty string and non-ASCII text', async () => {
    const { store } = setup()
    await store.set('a', '')
    await store.set('b', 'héllo ✓ 日本語 \u0000 🙂')
    expect(await store.get('a')).toBe('')
    expect(await store.get('b')).toBe('héllo ✓ 日本語 \u0000 🙂')
  })

  it('returns versioned values with the inner store’s versions, and decrypts a conflict’s current record', async () => {
    const { store } = setup()
    expect(await store.compareAndSet('grant:1', grantJSON, { expectedVersion: null })).toEqual({
      ok: true,
      version: 1,
    })
    expect(await store.getVersioned('grant:1')).toEqual({ value: grantJSON, version: 1 })
    expect(await store.compareAndSet('grant:1', 'stale', { expectedVersion: null })).toEqual({
      ok: false,
      current: { value: grantJSON, version: 1 },
    })
    expect(await store.compareAndSet('grant:1', 'newer', { expectedVersion: 1 })).toEqual({
      ok: true,
      version: 2,
    })
    expect(await store.getVersioned('grant:1')).toEqual({ value: 'newer', version: 2 })
  })
})

describe('encryptedStore: what the inner store holds', () => {
  it('holds an envelope with none of the plaintext, for plain and versioned records', async () => {
    const { inner, store } = setup()
    await store.set('tx:1', grantJSON)
    await store.compareAndSet('grant:1', grantJSON, { expectedVersion: null })
    const plain = (await inner.get('tx:1')) as string
    const versioned = (await inner.getVersioned('grant:1'))?.value as string
    for (const stored of [plain, versioned]) {
      expect(stored).toMatch(/^wfe1\.2026-01\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/)
      const [, , iv, data] = parts(stored)
      expect(iv.length).toBe(12)
      // Ciphertext plus the 16-byte GCM tag.
      expect(data.length).toBe(new TextEncoder().encode(grantJSON).length + 16)
      const bytesAsText = new TextDecoder('latin1').decode(data)
      for (const text of distinctive) {
        expect(stored).not.toContain(text)
        expect(bytesAsText).not.toContain(text)
      }
    }
  })

  it('uses a fresh IV on every write: the same value twice gives two different envelopes', async () => {
    const { inner, store } = setup()
    await store.set('a', grantJSON)
    const first = (await inner.get('a')) as string
    await store.set('a', grantJSON)
    const second = (await inner.get('a')) as string
    expect(second).not.toBe(first)
    expect(base64url(parts(second)[2])).not.toBe(base64url(parts(first)[2]))
    await store.set('b', grantJSON)
    expect(await inner.get('b')).not.toBe(second)
  })
})

describe('encryptedStore: tampering', () => {
  const KEY = 'grant:victim'

  async function written(keys: readonly EncryptionKey[] = [keyA]) {
    const { inner, store } = setup(keys)
    await store.set(KEY, grantJSON)
    const stored = (await inner.get(KEY)) as string
    return { inner, store, stored, parts: parts(stored) }
  }

  it('detects a flipped bit anywhere in the ciphertext or tag', async () => {
    const { inner, store, parts: p } = await written()
    const [, id, iv, data] = p
    for (const index of [0, Math.floor(data.length / 2), data.length - 17, data.length - 1]) {
      await inner.set(KEY, envelope(id, iv, flipped(data, index)))
      await expectFailure(store.get(KEY))
    }
  })

  it('detects a flipped bit in the IV', async () => {
    const { inner, store, parts: p } = await written()
    const [, id, iv, data] = p
    for (const index of [0, 11]) {
      await inner.set(KEY, envelope(id, flipped(iv, index), data))
      await expectFailure(store.get(KEY))
    }
  })

  it('refuses an IV of the wrong length', async () => {
    const { inner, store, parts: p } = await written()
    const [, id, iv, data] = p
    await inner.set(KEY, envelope(id, iv.slice(0, 11), data))
    await expectFailure(store.get(KEY))
    await inner.set(KEY, envelope(id, new Uint8Array([...iv, 0]), data))
    await expectFailure(store.get(KEY))
  })

  it('fails when the key id is changed to another configured key, a retired one or an unknown one', async () => {
    const { inner, store, parts: p } = await written([keyA, keyB])
    const [, , iv, data] = p
    await inner.set(KEY, envelope(keyB.id, iv, data))
    await expectFailure(store.get(KEY))
    await inner.set(KEY, envelope('retired', iv, data))
    await expectFailure(encryptedStore(inner, { keys: [keyA], retiredKeyIds: ['retired'] }).get(KEY))
    await inner.set(KEY, envelope('unknown', iv, data))
    await expectFailure(store.get(KEY), 'unknown_encryption_key')
  })

  it('fails on truncated and malformed envelopes', async () => {
    const { inner, store, stored, parts: p } = await written()
    const [, id, iv, data] = p
    const candidates = [
      stored.slice(0, -1),
      stored.slice(0, -4),
      envelope(id, iv, data.slice(0, -16)), // the tag cut off
      envelope(id, iv, data.slice(0, 16)),
      envelope(id, iv, new Uint8Array()),
      stored.split('.').slice(0, 3).join('.'),
      `${stored}.extra`,
      stored.replace(/^wfe1/, 'wfe2'),
      stored.replace(/\.[^.]+$/, '.not*base64'),
      '',
      grantJSON, // a record written before encryption was turned on
    ]
    for (const candidate of candidates) {
      await inner.set(KEY, candidate)
      await expectFailure(store.get(KEY))
    }
  })

  it('does not decrypt a record moved to another storage key (the key is authenticated data)', async () => {
    const { inner, store, stored } = await written()
    await inner.set('grant:attacker', stored)
    await expectFailure(store.get('grant:attacker'))
    await inner.compareAndSet('grant:versioned', stored, { expectedVersion: null })
    await expectFailure(store.getVersioned('grant:versioned'))
    await inner.set('tx:moved', stored)
    await expectFailure(store.take('tx:moved'))
  })

  it('fails the same way for versioned records and for a conflicting write’s current record', async () => {
    const { inner, store } = setup()
    await store.compareAndSet(KEY, grantJSON, { expectedVersion: null })
    const stored = (await inner.getVersioned(KEY))?.value as string
    const [, id, iv, data] = parts(stored)
    await inner.compareAndSet(KEY, envelope(id, iv, flipped(data, 3)), { expectedVersion: 1 })
    await expectFailure(store.getVersioned(KEY))
    await expectFailure(store.compareAndSet(KEY, 'x', { expectedVersion: 1 }))
  })

  it('does not echo stored text in its error message, even where a key id would be', async () => {
    const { inner, store } = setup()
    await inner.set(KEY, `wfe1.${ACCESS}.${REFRESH}.x`)
    await expectFailure(store.get(KEY), 'unknown_encryption_key')
    await expectFailure(encryptedStore(inner, { keys: [keyA], retiredKeyIds: '*' }).get(KEY))
    await inner.set(KEY, `wfe1.${REFRESH} ${ACCESS}.AAAAAAAAAAAAAAAA.AAAA`)
    await expectFailure(store.get(KEY))
  })
})

describe('encryptedStore: key rotation', () => {
  it('reads records of an older key listed after the current one, and writes with the first key', async () => {
    const inner = memoryStore()
    await encryptedStore(inner, { keys: [keyA] }).set('grant:old', grantJSON)
    await encryptedStore(inner, { keys: [keyA] }).compareAndSet('grant:v', grantJSON, {
      expectedVersion: null,
    })

    const rotated = encryptedStore(inner, { keys: [keyB, keyA] })
    expect(await rotated.get('grant:old')).toBe(grantJSON)
    expect(await rotated.getVersioned('grant:v')).toEqual({ value: grantJSON, version: 1 })

    await rotated.set('grant:new', grantJSON)
    await rotated.compareAndSet('grant:v', grantJSON, { expectedVersion: 1 })
    expect(parts((await inner.get('grant:new')) as string)[1]).toBe(keyB.id)
    expect(parts((await inner.getVersioned('grant:v'))?.value as string)[1]).toBe(keyB.id)
    expect(parts((await inner.get('grant:old')) as string)[1]).toBe(keyA.id)

    // Without the old key, its records wait (another instance may still have it) until it is retired.
    const onlyB = encryptedStore(inner, { keys: [keyB] })
    await expectFailure(onlyB.get('grant:old'), 'unknown_encryption_key')
    await expectFailure(encryptedStore(inner, { keys: [keyB], retiredKeyIds: [keyA.id] }).get('grant:old'))
    expect(await onlyB.get('grant:new')).toBe(grantJSON)
    expect(await onlyB.getVersioned('grant:v')).toEqual({ value: grantJSON, version: 2 })
  })

  it('does not decrypt with a different key that reuses the old id', async () => {
    const inner = memoryStore()
    await encryptedStore(inner, { keys: [keyA] }).set('k', grantJSON)
    const impostor = encryptedStore(inner, { keys: [{ id: keyA.id, key: generateEncryptionKey() }] })
    await expectFailure(impostor.get('k'))
  })

  it('accepts keys as raw bytes, base64url and padded base64 — the same key either way', async () => {
    const raw = crypto.getRandomValues(new Uint8Array(32))
    const padded = btoa(String.fromCharCode(...raw))
    expect(padded).toMatch(/=$/)
    const inner = memoryStore()
    await encryptedStore(inner, { keys: [{ id: 'k', key: raw }] }).set('x', 'value')
    expect(await encryptedStore(inner, { keys: [{ id: 'k', key: base64url(raw) }] }).get('x')).toBe('value')
    expect(await encryptedStore(inner, { keys: [{ id: 'k', key: padded }] }).get('x')).toBe('value')
  })
})

// Issue #12 finding 4: after a key change every load answered 503 for days and the cookie was never cleared.
describe("encryptedStore: undecryptable: 'delete' (a record no key opens means signed out)", () => {
  function recordingLogger() {
    const events: { level: string; message: string; details: Readonly<Record<string, unknown>> }[] = []
    return {
      events,
      logger: {
        warn: (message: string, details: Readonly<Record<string, unknown>>) =>
          events.push({ level: 'warn', message, details }),
        error: (message: string, details: Readonly<Record<string, unknown>>) =>
          events.push({ level: 'error', message, details }),
      },
    }
  }

  it.each([
    [
      'a retired key id',
      async (inner: StoragePort) => {
        await encryptedStore(inner, { keys: [keyB] }).compareAndSet('grant:g', grantJSON, {
          expectedVersion: null,
        })
      },
      'retired_key',
    ],
    [
      'another key under the same id',
      async (inner: StoragePort) => {
        const impostor = { id: keyA.id, key: generateEncryptionKey() }
        await encryptedStore(inner, { keys: [impostor] }).compareAndSet('grant:g', grantJSON, {
          expectedVersion: null,
        })
      },
      'authentication_failed',
    ],
    [
      'a corrupt record',
      async (inner: StoragePort) => {
        await encryptedStore(inner, { keys: [keyA] }).compareAndSet('grant:g', grantJSON, {
          expectedVersion: null,
        })
        const [, id, iv, data] = parts((await inner.getVersioned('grant:g'))?.value as string)
        await inner.compareAndSet('grant:g', envelope(id, iv, flipped(data, 3)), { expectedVersion: 1 })
      },
      'authentication_failed',
    ],
    [
      'a record stored before encryption',
      async (inner: StoragePort) => {
        await inner.compareAndSet('grant:g', grantJSON, { expectedVersion: null })
      },
      'not_encrypted',
    ],
  ] as const)(
    '%s: reads as absent, the record is deleted, the operator is told once',
    async (_, write, reason) => {
      const inner = memoryStore()
      await write(inner)
      const { events, logger } = recordingLogger()
      const store = encryptedStore(inner, {
        keys: [keyA],
        retiredKeyIds: [keyB.id],
        undecryptable: 'delete',
        logger,
      })
      const reads = await Promise.all([store.getVersioned('grant:g'), store.getVersioned('grant:g')])
      expect(reads).toEqual([null, null])
      expect(await inner.getVersioned('grant:g')).toBeNull()
      expect(await store.getVersioned('grant:g')).toBeNull()
      expect(events).toEqual([
        {
          level: 'warn',
          message: expect.stringContaining('no configured key decrypts'),
          details: expect.objectContaining({ kind: 'grant', reason, configuredKeyIds: keyA.id }),
        },
      ])
      const logged = JSON.stringify(events)
      for (const secret of [...distinctive, keyA.key as string, keyB.key as string])
        expect(logged).not.toContain(secret)
    },
  )

  it('treats plain values and a conflicting write’s current record the same way', async () => {
    const inner = memoryStore()
    const old = encryptedStore(inner, { keys: [keyB] })
    await old.set('tx:1', grantJSON)
    await old.set('tx:2', grantJSON)
    await old.compareAndSet('grant:c', grantJSON, { expectedVersion: null })
    const { logger } = recordingLogger()
    const store = encryptedStore(inner, { keys: [keyA], retiredKeyIds: '*', undecryptable: 'delete', logger })
    expect(await store.get('tx:1')).toBeNull()
    expect(await inner.get('tx:1')).toBeNull()
    expect(await store.take('tx:2')).toBeNull()
    expect(await store.compareAndSet('grant:c', 'x', { expectedVersion: 7 })).toEqual({
      ok: false,
      current: null,
    })
    expect(await inner.getVersioned('grant:c')).toBeNull()
  })

  it('still reads what it can, and the default stays a typed error that keeps the record', async () => {
    const inner = memoryStore()
    await encryptedStore(inner, { keys: [keyA] }).set('tx:a', 'fine')
    await encryptedStore(inner, { keys: [keyB] }).set('tx:b', 'other key')
    const { events, logger } = recordingLogger()
    expect(await encryptedStore(inner, { keys: [keyA], undecryptable: 'delete', logger }).get('tx:a')).toBe(
      'fine',
    )
    expect(events).toEqual([])
    await expectFailure(encryptedStore(inner, { keys: [keyA], retiredKeyIds: [keyB.id] }).get('tx:b'))
    expect(await inner.get('tx:b')).not.toBeNull()
  })
})

// Issue #21 finding 3: during a rolling deploy an instance still on the old key deleted every grant an
// upgraded instance had sealed with the new one (`undecryptable: 'delete'`), and a sign-in that crossed
// instances failed with state_mismatch.
describe('encryptedStore: a rolling deploy, in either order', () => {
  function instances(first: readonly EncryptionKey[], second: readonly EncryptionKey[]) {
    const inner = memoryStore()
    const warnings: { message: string; details: Readonly<Record<string, unknown>> }[] = []
    const logger = {
      warn: (message: string, details: Readonly<Record<string, unknown>>) =>
        warnings.push({ message, details }),
    }
    const options = { undecryptable: 'delete', logger } as const
    return {
      inner,
      warnings,
      upgraded: encryptedStore(inner, { keys: first, ...options }),
      old: encryptedStore(inner, { keys: second, ...options }),
    }
  }

  it('an instance without the new key keeps what the upgraded one sealed, and answers unknown_encryption_key', async () => {
    const { inner, warnings, upgraded, old } = instances([keyB, keyA], [keyA])
    await upgraded.compareAndSet('grant:g', grantJSON, { expectedVersion: null })
    await upgraded.set('tx:s', 'login', { ttlMs: 60_000 })
    await expectFailure(old.getVersioned('grant:g'), 'unknown_encryption_key')
    await expectFailure(old.get('tx:s'), 'unknown_encryption_key')
    await expectFailure(old.take('tx:s'), 'unknown_encryption_key')
    await expectFailure(
      old.compareAndSet('grant:g', grantJSON, { expectedVersion: 7 }),
      'unknown_encryption_key',
    )
    // Nothing was deleted or taken: the upgraded instance still has both.
    expect(await inner.getVersioned('grant:g')).toMatchObject({ version: 1 })
    expect(await upgraded.take('tx:s')).toBe('login')
    expect(await upgraded.getVersioned('grant:g')).toEqual({ value: grantJSON, version: 1 })
    // Told once per key, with the id (public) and none of the record.
    expect(warnings).toEqual([
      {
        message: expect.stringContaining('does not have'),
        details: { kind: 'grant', keyId: keyB.id, configuredKeyIds: keyA.id },
      },
    ])
    expect(await old.keyUsage()).toEqual({
      sealingKeyId: keyA.id,
      opened: {},
      stale: { [keyB.id]: 2 },
      refused: { [keyB.id]: 4 },
    })
  })

  it('the two-step rotation (new key added second everywhere, then first) never fails a read', async () => {
    const inner = memoryStore()
    const before = encryptedStore(inner, { keys: [keyA] })
    const added = encryptedStore(inner, { keys: [keyA, keyB] })
    const promoted = encryptedStore(inner, { keys: [keyB, keyA] })
    await before.compareAndSet('grant:1', grantJSON, { expectedVersion: null })
    await promoted.compareAndSet('grant:2', grantJSON, { expectedVersion: null })
    for (const store of [added, promoted]) {
      expect(await store.getVersioned('grant:1')).toMatchObject({ value: grantJSON })
      expect(await store.getVersioned('grant:2')).toMatchObject({ value: grantJSON })
    }
  })

  it('a retired key’s records are undecryptable on purpose: deleted in delete mode', async () => {
    const inner = memoryStore()
    await encryptedStore(inner, { keys: [keyA] }).compareAndSet('grant:g', grantJSON, {
      expectedVersion: null,
    })
    const logger = { warn: () => undefined }
    const store = encryptedStore(inner, {
      keys: [keyB],
      retiredKeyIds: [keyA.id],
      undecryptable: 'delete',
      logger,
    })
    expect(await store.getVersioned('grant:g')).toBeNull()
    expect(await inner.getVersioned('grant:g')).toBeNull()
  })

  it('reports, per key, what it opened and which records are still on an older key', async () => {
    const inner = memoryStore()
    const old = encryptedStore(inner, { keys: [keyA] })
    await old.compareAndSet('grant:1', grantJSON, { expectedVersion: null })
    await old.compareAndSet('grant:2', grantJSON, { expectedVersion: null })
    await old.set('tx:1', 'login')
    const store = encryptedStore(inner, { keys: [keyB, keyA] })
    expect(await store.keyUsage()).toEqual({ sealingKeyId: keyB.id, opened: {}, stale: {}, refused: {} })
    await store.getVersioned('grant:1')
    await store.getVersioned('grant:2')
    await store.getVersioned('grant:2')
    await store.get('tx:1')
    expect(await store.keyUsage()).toMatchObject({ opened: { [keyA.id]: 4 }, stale: { [keyA.id]: 3 } })
    // Rewritten (as a refresh does), taken, deleted: each leaves the count.
    await store.compareAndSet('grant:1', grantJSON, { expectedVersion: 1 })
    await store.take('tx:1')
    await store.delete('grant:2')
    await store.getVersioned('grant:1')
    expect(await store.keyUsage()).toEqual({
      sealingKeyId: keyB.id,
      opened: { [keyA.id]: 5, [keyB.id]: 1 },
      stale: {},
      refused: {},
    })
  })

  it('through the driver: a sign-in that crosses instances completes, and no grant is lost', async () => {
    const inner = memoryStore()
    const endpoint = createTokenEndpoint()
    const logger = { warn: () => undefined }
    const app = (keys: readonly EncryptionKey[]) =>
      createWorkfrontOAuth({
        clientId: 'client-1',
        clientSecret: 'secret-1',
        redirectUri: 'https://app.example.com/auth/callback',
        baseUrl: ORIGIN,
        store: encryptedStore(inner, { keys, undecryptable: 'delete', logger }),
        http: endpoint.fetch,
        nearCache: false,
      })
    const [upgraded, old] = [app([keyB, keyA]), app([keyA])]
    const { url, state } = await upgraded.startLogin()
    const code = endpoint.issueCode(new URL(url).searchParams.get('code_challenge'))
    const callback = new URLSearchParams({ code, state })
    // The callback reaches the old instance first: a retryable 503, not state_mismatch, and the login stays.
    const refused = await failure(old.handleCallback(callback))
    expect(refused.code).toBe('unknown_encryption_key')
    expect(httpStatusFor(refused.code)).toBe(503)
    const { grant } = await upgraded.handleCallback(callback)
    expect(await failure(old.getAccessToken(grant.id))).toMatchObject({ code: 'unknown_encryption_key' })
    expect((await upgraded.getAccessToken(grant.id)).accessToken).toBe('session-2')
    expect(endpoint.activeRefreshTokens()).toEqual(['refresh-2'])
  })

  it('refuses retired ids that are malformed or also listed as keys', async () => {
    expect(() => encryptedStore(memoryStore(), { keys: [keyA], retiredKeyIds: ['a b'] })).toThrow(
      /Retired key ids/,
    )
    await expectFailure(
      encryptedStore(memoryStore(), { keys: [keyA], retiredKeyIds: [keyA.id] }).set('x', 'v'),
      'invalid_options',
    )
  })
})

describe('encryptedStore: derived key ids', () => {
  it('names a key without id by a digest of it: stable, distinct per key, not the key', async () => {
    const key = generateEncryptionKey()
    const id = await encryptionKeyId(key)
    expect(id).toMatch(/^k[A-Za-z0-9_-]{11}$/)
    expect(await encryptionKeyId(fromBase64url(key) as Uint8Array)).toBe(id)
    expect(await encryptionKeyId(generateEncryptionKey())).not.toBe(id)
    expect(key).not.toContain(id.slice(1))
    const inner = memoryStore()
    await encryptedStore(inner, { keys: [{ key }] }).set('tx:1', 'v')
    expect(parts((await inner.get('tx:1')) as string)[1]).toBe(id)
  })

  it('rotates with derived ids, and a changed key is an unknown key rather than a failed decryption', async () => {
    const [oldKey, newKey] = [generateEncryptionKey(), generateEncryptionKey()]
    const inner = memoryStore()
    await encryptedStore(inner, { keys: [{ key: oldKey }] }).set('tx:old', 'old')
    const rotated = encryptedStore(inner, { keys: [{ key: newKey }, { key: oldKey }] })
    expect(await rotated.get('tx:old')).toBe('old')
    await rotated.set('tx:new', 'new')
    expect(await encryptedStore(inner, { keys: [{ key: newKey }] }).get('tx:new')).toBe('new')
    await expectFailure(
      encryptedStore(inner, { keys: [{ key: newKey }] }).get('tx:old'),
      'unknown_encryption_key',
    )
    const retired = encryptedStore(inner, {
      keys: [{ key: newKey }],
      retiredKeyIds: [await encryptionKeyId(oldKey)],
    })
    await expectFailure(retired.get('tx:old'))
  })

  it('refuses the same key listed twice', async () => {
    const key = generateEncryptionKey()
    await expectFailure(
      encryptedStore(memoryStore(), { keys: [{ key }, { key }] }).set('x', 'v'),
      'invalid_options',
    )
  })
})

describe('encryptedStore: options', () => {
  const inner = memoryStore()
  const refused = (keys: EncryptionKey[]): void => {
    let thrown: unknown
    try {
      encryptedStore(inner, { keys })
    } catch (error) {
      thrown = error
    }
    expect(isWorkfrontOAuthError(thrown, 'invalid_options')).toBe(true)
    for (const { key } of keys)
      if (typeof key === 'string' && key.length > 8) expect(String(thrown)).not.toContain(key)
  }
  const good = generateEncryptionKey()

  it('needs at least one key', () => {
    refused([])
  })

  it.each(['', 'x'.repeat(33), 'has.dot', 'has space', 'é', 'a/b', 'a:b'])('refuses the key id %j', (id) => {
    refused([{ id, key: good }])
  })

  it('accepts key ids of 1 to 32 characters of [A-Za-z0-9_-]', () => {
    for (const id of ['a', 'x'.repeat(32), 'Key_2026-11', '0']) {
      expect(() => encryptedStore(inner, { keys: [{ id, key: good }] })).not.toThrow()
    }
  })

  it('refuses keys that are not 32 bytes', () => {
    refused([{ id: 'k', key: new Uint8Array(31) }])
    refused([{ id: 'k', key: new Uint8Array(33) }])
    refused([{ id: 'k', key: new Uint8Array(0) }])
    refused([{ id: 'k', key: base64url(new Uint8Array(16)) }])
    refused([{ id: 'k', key: `${good}AAAA` }])
    refused([{ id: 'k', key: '' }])
    refused([{ id: 'k', key: 'not base64 at all, with spaces and ! marks.......' }])
  })

  it('refuses a key id listed twice, even with different keys', () => {
    refused([
      { id: 'k', key: good },
      { id: 'k', key: generateEncryptionKey() },
    ])
  })

  it('refuses a bad key listed after a good one', () => {
    refused([
      { id: 'k', key: good },
      { id: 'old', key: new Uint8Array(8) },
    ])
  })
})

describe('generateEncryptionKey', () => {
  it('gives 32 random bytes as unpadded base64url', () => {
    const keys = Array.from({ length: 20 }, generateEncryptionKey)
    for (const key of keys) {
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(fromBase64url(key)?.length).toBe(32)
    }
    expect(new Set(keys).size).toBe(keys.length)
  })
})

describe('randomness through the port', () => {
  it('takes its IVs from the RandomSource it is given', async () => {
    let calls = 0
    const random = {
      bytes: (length: number) => {
        calls++
        return new Uint8Array(length).fill(7)
      },
    }
    const inner = memoryStore()
    const store = encryptedStore(inner, { keys: [keyA], random })
    await store.set('a', 'same')
    await store.set('b', 'same')
    const [, , iv] = parts((await inner.get('a')) ?? '')
    expect(iv).toEqual(new Uint8Array(12).fill(7))
    expect(calls).toBe(2)
    expect(await store.get('b')).toBe('same')
    expect(generateEncryptionKey(random)).toBe(base64url(new Uint8Array(32).fill(7)))
  })
})
