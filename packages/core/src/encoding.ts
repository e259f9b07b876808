const encoder = new TextEncoder()

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>
}

export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** Decodes base64url (or base64); returns null on malformed input instead of throwing. */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_\-+/]*={0,2}$/.test(text)) return null
  try {
    const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return null
  }
}

/** `base64(text)` of UTF-8 text, as in an `Authorization: Basic` header. */
export function base64(text: string): string {
  let binary = ''
  for (const byte of utf8(text)) binary += String.fromCharCode(byte)
  return btoa(binary)
}

export async function sha256(text: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text))))
}

/** Constant-time comparison of two strings of the same alphabet. */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/** True when `text` holds a C0 control character or DEL (header injection, URL confusion). */
export function hasControlCharacters(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

/**
 * True when `text` is 1–`maxLength` visible ASCII characters (0x21–0x7E): what a token may be to travel
 * in an HTTP header (`sessionID`) and in a form body untouched, and what every real one is. RFC 6749
 * Appendix A allows spaces too, which a header would trim; CR or LF would split it.
 */
export function isTokenText(text: unknown, maxLength: number): text is string {
  return (
    typeof text === 'string' && text.length >= 1 && text.length <= maxLength && /^[\x21-\x7E]+$/.test(text)
  )
}
