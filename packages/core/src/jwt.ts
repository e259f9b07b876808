/**
 * The JWT of Workfront's Machine to Machine flow, signed with Web Crypto: RS256 (RSASSA-PKCS1-v1_5 with
 * SHA-256), `iss` = the org's Customer ID, `sub` = the user who registered the public key, and a short
 * `exp` (Workfront recommends a few minutes; a new JWT is signed for every exchange).
 * @see WORKFRONT.md "Machine to Machine: the JWT flow"
 */
import { base64url, fromBase64url, utf8 } from './encoding.ts'
import { WorkfrontOAuthError } from './errors.ts'

const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

/** A private key as the app holds it: PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`), or a `CryptoKey`. */
export type JWTPrivateKey = string | CryptoKey

export interface WorkfrontJWTClaims {
  /** The Customer ID from the app's details in Workfront. */
  customerId: string
  /** The Workfront user ID that registered the public key: the user the server job acts as. */
  userId: string
}

const badKey = (message: string, cause?: unknown): WorkfrontOAuthError =>
  new WorkfrontOAuthError('invalid_private_key', message, cause === undefined ? {} : { cause })

/**
 * Checks a private key and makes it a signing `CryptoKey`. PEM text must be PKCS#8; PKCS#1
 * (`BEGIN RSA PRIVATE KEY`, what older tools write) is refused with the conversion to run. Never puts key
 * material in an error.
 */
export async function importJWTPrivateKey(key: JWTPrivateKey): Promise<CryptoKey> {
  if (typeof key !== 'string') {
    const algorithm = key.algorithm as { name?: string; hash?: { name?: string } }
    if (
      key.type !== 'private' ||
      algorithm.name !== RS256.name ||
      algorithm.hash?.name !== RS256.hash ||
      !key.usages.includes('sign')
    ) {
      throw badKey('The private key must be an RSASSA-PKCS1-v1_5 SHA-256 private CryptoKey usable to sign')
    }
    return key
  }
  const text = key.trim()
  if (text.startsWith('-----BEGIN RSA PRIVATE KEY-----')) {
    throw badKey(
      'The private key is PKCS#1; convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.p8.pem',
    )
  }
  if (text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw badKey('The private key is encrypted; give the decrypted PKCS#8 key')
  }
  const match = /^-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----$/.exec(text)
  const der = match ? fromBase64url((match[1] as string).replace(/\s+/g, '')) : null
  if (!der || der.length === 0) throw badKey('The private key is not a PKCS#8 PEM (BEGIN PRIVATE KEY)')
  try {
    return await crypto.subtle.importKey('pkcs8', der, RS256, false, ['sign'])
  } catch (cause) {
    // The cause is the runtime's error about the DER, which holds no key material.
    throw badKey(
      'The private key is not an RSA key in PKCS#8',
      cause instanceof Error ? cause.name : undefined,
    )
  }
}

/**
 * Signs the JWT for one exchange. `now` is in epoch milliseconds (the `Clock` port), `lifetimeSeconds`
 * how long the JWT is valid (`exp` = now + lifetime, whole seconds).
 */
export async function signWorkfrontJWT(
  key: CryptoKey,
  claims: WorkfrontJWTClaims,
  now: number,
  lifetimeSeconds: number,
): Promise<string> {
  const header = base64url(utf8(JSON.stringify({ alg: 'RS256', typ: 'JWT' })))
  const payload = base64url(
    utf8(
      JSON.stringify({
        iss: claims.customerId,
        sub: claims.userId,
        exp: Math.floor(now / 1000) + lifetimeSeconds,
      }),
    ),
  )
  const input = `${header}.${payload}`
  const signature = new Uint8Array(await crypto.subtle.sign(RS256, key, utf8(input)))
  return `${input}.${base64url(signature)}`
}
