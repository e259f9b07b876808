/**
 * Cookie signatures: HMAC-SHA-256 over the cookie's name and value, with several secrets for rotation, and
 * a bounded cache of the cookies that verified, so that a session's HMAC is computed once per process.
 */
import { createBoundedMap } from '../bounded-map.ts'
import { systemClock } from '../defaults.ts'
import { base64url, timingSafeEqual, utf8 } from '../encoding.ts'
import { WorkfrontOAuthError } from '../errors.ts'
import type { Clock } from '../ports.ts'

/** Bounds of the verified-cookie cache of `createWebFlow` / `createCookieSigner`. */
export interface VerifiedCookieCacheOptions {
  /** Cookie values held at most. Default 10 000. */
  maxEntries?: number
  /** How long a checked cookie is taken on trust before its signature is checked again. Default 10 minutes. */
  maxAgeMs?: number
}

/** Signs and verifies cookie values with HMAC-SHA-256 (several secrets for rotation). */
export interface CookieSigner {
  /** `value` with an HMAC of the name and value under the first key. */
  sign(name: string, value: string): Promise<string>
  /** The value if the signature matches any key, else null. */
  verify(name: string, signed: string): Promise<string | null>
}

/** Options of `createCookieSigner`. */
export interface CookieSignerOptions {
  /** Remember the cookies that verified (bounded; `false` or absent: verify every time). */
  cache?: VerifiedCookieCacheOptions | false
  /** Time for the cache's maximum age. Default: the system clock. */
  clock?: Clock
}

/**
 * HMAC-SHA256 cookie signatures with key rotation. The cookie name is signed with the value, so a value
 * cannot be moved from one cookie to another (the login nonce cannot pose as a session id).
 *
 * With `cache`, a cookie that verified is remembered by its exact name and value, bounded in number
 * (oldest first out) and age. Only successes are held: a forged cookie costs the HMACs each time, and
 * cannot push real sessions out. The cache belongs to this signer and its secrets: rotating the secrets
 * means a new signer, whose cache starts empty, so a cookie signed with a dropped secret stops verifying.
 */
export function createCookieSigner(
  secrets: readonly string[],
  options: CookieSignerOptions = {},
): CookieSigner {
  const { sign, verify } = createSigner(secrets, options)
  return { sign, verify }
}

/** The signer, plus what the web flow's hot path needs: a synchronous look at the verified-cookie cache. */
export interface CachingSigner extends CookieSigner {
  /** The value of a cookie this signer has signed or verified (within the cache's bounds), else undefined. */
  verified(name: string, signed: string): string | undefined
}

export function createSigner(secrets: readonly string[], options: CookieSignerOptions): CachingSigner {
  if (secrets.length === 0)
    throw new WorkfrontOAuthError('invalid_options', 'At least one cookie secret is required')
  for (const secret of secrets) {
    if (secret.length < 32)
      throw new WorkfrontOAuthError('invalid_options', 'Cookie secrets must be at least 32 characters')
  }
  const keys = secrets.map((secret) =>
    crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
  )
  const mac = async (key: Promise<CryptoKey>, name: string, value: string): Promise<string> =>
    base64url(new Uint8Array(await crypto.subtle.sign('HMAC', await key, utf8(`${name}=${value}`))))
  // Keyed by the exact cookie value (no `name=value` string built and hashed per request); a hit also needs
  // the same cookie name, as the signature covers it.
  const cache = options.cache
    ? createBoundedMap<{ name: string; value: string }>({
        maxEntries: options.cache.maxEntries ?? 10_000,
        maxAgeMs: options.cache.maxAgeMs ?? 600_000,
        clock: options.clock ?? systemClock,
        name: 'verifiedCookieCache',
      })
    : null

  function cached(name: string, signed: string): string | undefined {
    const entry = cache?.get(signed)
    return entry !== undefined && entry.name === name ? entry.value : undefined
  }

  async function check(name: string, signed: string): Promise<string | null> {
    const index = signed.lastIndexOf('.')
    if (index <= 0 || signed.length > 4096) return null
    const value = signed.slice(0, index)
    const signature = signed.slice(index + 1)
    for (const key of keys) {
      if (timingSafeEqual(await mac(key, name, value), signature)) return value
    }
    return null
  }

  return {
    async sign(name, value) {
      const signed = `${value}.${await mac(keys[0] as Promise<CryptoKey>, name, value)}`
      // Signed here, so valid: when the browser sends it back (the login cookie at the callback, the
      // session cookie on the next request) no HMAC is computed again.
      cache?.set(signed, { name, value })
      return signed
    },
    async verify(name, signed) {
      if (cache === null) return check(name, signed)
      const held = cached(name, signed)
      if (held !== undefined) return held
      const value = await check(name, signed)
      if (value !== null) cache.set(signed, { name, value })
      return value
    },
    verified: cached,
  }
}
