/**
 * Cookies and headers as the web flow reads and writes them: `Set-Cookie` lines from instructions whose
 * attributes fit frameworks' cookie APIs (`sameSite: 'lax'`, `maxAge` in seconds), the one cookie a request
 * needs out of its `Cookie` header, and header lookups that take a Web `Headers` or Node's plain object.
 */

/** Attributes of a cookie the web flow sets, in the shape frameworks' cookie APIs take. */
export interface CookieAttributes {
  /** Always true: scripts never read these cookies. */
  httpOnly: boolean
  /** True when the app's origin is https. */
  secure: boolean
  /** `lax`: the callback is a top-level navigation coming from Workfront's site. */
  sameSite: 'lax' | 'strict'
  /** The path the cookie is sent to: the sign-in routes' base, or `/` for the session. */
  path: string
  /** Seconds (not milliseconds); 0 clears the cookie. */
  maxAge: number
}

/** A cookie to set (or clear, with `maxAge` 0) on the response. */
export interface CookieInstruction {
  /** The cookie's name. */
  name: string
  /** The value to set (signed by the web flow); empty when the cookie is cleared. */
  value: string
  /** Path, lifetime and flags, in the lower-case names frameworks' cookie APIs take. */
  attributes: CookieAttributes
}

/**
 * Request headers as any runtime gives them: a Web `Headers` (or anything with `get`), or Node's
 * `IncomingHttpHeaders` (lower-case names, arrays for repeated headers).
 */
export type HeadersInput =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>

/** One header of `headers`, or null; a repeated header is joined as the Fetch standard joins it. */
export function headerValue(headers: HeadersInput, name: string): string | null {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name)
  }
  const value = (headers as Record<string, string | readonly string[] | undefined>)[name.toLowerCase()]
  if (value === undefined) return null
  // Several `Cookie` lines are one list; other headers join with a comma.
  return typeof value === 'string' ? value : value.join(name.toLowerCase() === 'cookie' ? '; ' : ', ')
}

/** `Set-Cookie` value for an instruction. */
export function serializeCookie(cookie: CookieInstruction): string {
  const a = cookie.attributes
  const parts = [
    `${cookie.name}=${cookie.value}`,
    `Path=${a.path}`,
    `Max-Age=${a.maxAge}`,
    `SameSite=${a.sameSite === 'strict' ? 'Strict' : 'Lax'}`,
  ]
  if (a.maxAge === 0) parts.push('Expires=Thu, 01 Jan 1970 00:00:00 GMT')
  if (a.httpOnly) parts.push('HttpOnly')
  if (a.secure) parts.push('Secure')
  return parts.join('; ')
}

/** Parses a `Cookie` header; the first occurrence of a name wins (the most specific path, per RFC 6265). */
export function parseCookies(header: string | null): Map<string, string> {
  const cookies = new Map<string, string>()
  if (!header) return cookies
  for (const part of header.split(';')) {
    const index = part.indexOf('=')
    if (index < 0) continue
    const name = part.slice(0, index).trim()
    if (name && !cookies.has(name)) cookies.set(name, part.slice(index + 1).trim())
  }
  return cookies
}

/**
 * One cookie of a `Cookie` header: `parseCookies(header).get(name)`, without building the map of every
 * cookie the browser sends (this runs on every authenticated request). One pass over the header: the next
 * `=` is searched for again only once the scan is past it, so a header of many `;` without `=` stays linear.
 */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined
  let start = 0
  let index = header.indexOf('=')
  while (index >= 0) {
    let end = header.indexOf(';', start)
    if (end < 0) end = header.length
    if (index < end && header.slice(start, index).trim() === name) return header.slice(index + 1, end).trim()
    start = end + 1
    if (index < start) index = header.indexOf('=', start)
  }
  return undefined
}
