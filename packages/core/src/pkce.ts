import { base64url, utf8 } from './encoding.ts'
import type { RandomSource } from './ports.ts'

/** 32 random bytes: 256 bits, 43 base64url characters (state values, ids, PKCE verifiers). */
export function randomToken(random: RandomSource, bytes = 32): string {
  return base64url(random.bytes(bytes))
}

/**
 * A PKCE pair. The verifier is 64 characters of the unreserved alphabet (RFC 7636 §4.1 allows 43–128;
 * Workfront wants at least 43), the challenge its S256 hash (the only method Workfront accepts).
 */
export async function createPKCE(random: RandomSource): Promise<{ verifier: string; challenge: string }> {
  const verifier = randomToken(random, 48)
  const digest = await crypto.subtle.digest('SHA-256', utf8(verifier))
  return { verifier, challenge: base64url(new Uint8Array(digest)) }
}
