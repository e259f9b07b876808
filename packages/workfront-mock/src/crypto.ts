const encoder = new TextEncoder()

export function base64URL(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length))
}

/** 32 lowercase hex characters: the shape of a Workfront session ID and object ID. */
export function randomHex(bytes = 16): string {
  return Array.from(randomBytes(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

export function randomToken(bytes = 32): string {
  return base64URL(randomBytes(bytes))
}

/** @see RFC 7636 §4.2 — `BASE64URL(SHA256(ASCII(code_verifier)))` */
export async function S256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(verifier))
  return base64URL(new Uint8Array(digest))
}

/** Compares without an early exit, so a secret cannot be guessed byte by byte from timing. */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a)
  const right = encoder.encode(b)
  const length = Math.max(left.length, right.length)
  let diff = left.length ^ right.length
  for (let i = 0; i < length; i++) diff |= (left[i] ?? 0) ^ (right[i] ?? 0)
  return diff === 0
}

/** @see RFC 7636 §4.1 — 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"` */
export const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

/** An S256 challenge is the base64url of a 32-byte digest: exactly 43 characters. */
export const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/
