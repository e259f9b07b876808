/**
 * Where a browser may be sent back to after signing in or out (`returnTo`), and whether a state-changing
 * request comes from the app's own pages (CSRF).
 */
import { hasControlCharacters } from '../encoding.ts'
import { WorkfrontOAuthError } from '../errors.ts'
import type { HeadersInput } from './cookies.ts'
import { headerValue } from './cookies.ts'

/**
 * CSRF defence for state-changing requests: the browser must say the request comes from `origin`
 * (`Origin`, or `Sec-Fetch-Site: same-origin` where a browser sends no `Origin`).
 */
export function isSameOrigin(request: { headers: HeadersInput }, origin: string): boolean {
  const header = headerValue(request.headers, 'origin')
  if (header !== null) return header === origin
  return headerValue(request.headers, 'sec-fetch-site') === 'same-origin'
}

/**
 * Accepts only same-origin relative paths (`/projects?x=1`) and returns them normalized; anything that a
 * browser could resolve to another origin (`//evil`, `/\evil`, `/%2F%2Fevil`, `/..//evil`, schemes, control
 * characters) is refused. Absent means `/`.
 */
export function validateReturnTo(value: string | null | undefined, appOrigin: string): string {
  if (value === null || value === undefined || value === '') return '/'
  const refuse = (): never => {
    throw new WorkfrontOAuthError('invalid_return_to', 'returnTo must be a path on this site')
  }
  if (value.length > 2048 || !isPlainPath(value)) refuse()
  const url = new URL(value, appOrigin)
  const path = `${url.pathname}${url.search}${url.hash}`
  // The URL parser resolves dot segments: `/..//evil.com` (or `/.%2e//evil.com`) becomes `//evil.com`, a
  // network-path reference to another host. So the normalized path is what is checked and returned (and
  // its length too, so that checking it again at the callback gives the same answer).
  if (url.origin !== appOrigin || path.length > 2048 || !isPlainPath(path)) refuse()
  return path
}

/**
 * True for a path that starts with one `/` and, raw or decoded up to three times (some servers and
 * browsers decode once more), has no backslash, control character, or second slash or space after it.
 */
function isPlainPath(value: string): boolean {
  if (!value.startsWith('/')) return false
  let text = value
  for (let i = 0; i < 4; i++) {
    if (text.includes('\\') || hasControlCharacters(text) || /^\/[\s/\\]/.test(text)) return false
    let decoded: string
    try {
      decoded = decodeURIComponent(text)
    } catch {
      return false
    }
    if (decoded === text) return true
    text = decoded
  }
  // Still encoded after every form was checked: no honest path is nested that deep.
  return false
}

export function safeReturnTo(value: string, appOrigin: string): string {
  try {
    return validateReturnTo(value, appOrigin)
  } catch {
    return '/'
  }
}
