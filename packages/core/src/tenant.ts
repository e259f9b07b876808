/**
 * Where the token request (which carries the client secret) may go.
 *
 * Workfront's callback names the tenant in its query string (`domain`, `lane`), where anyone can forge it.
 * So a token host is only ever built from DNS labels and a fixed suffix, checked against an allowlist of
 * host patterns, and bound to the tenant the login started with.
 * @see ../../../shared/WORKFRONT.md "Hosts, domains and lanes — this is a security boundary"
 */
import { WorkfrontOAuthError } from './errors.ts'

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/**
 * Workfront's public host families: production, preview and sandboxes, classic and Unified Experience.
 * @see WORKFRONT.md "Hosts, domains and lanes"
 */
export const WORKFRONT_HOST_PATTERNS: readonly string[] = [
  '*.my.workfront.com',
  '*.preview.workfront.com',
  '*.sb01.workfront.com',
  '*.sb02.workfront.com',
  '*.my.workfront.adobe.com',
  '*.preview.workfront.adobe.com',
  '*.sb01.workfront.adobe.com',
  '*.sb02.workfront.adobe.com',
]

/** The suffixes a `domain`/`lane` pair can be joined with: the classic and the Unified Experience family. */
const SUFFIXES = ['.workfront.com', '.workfront.adobe.com'] as const

/** Whether a value is one lowercase DNS label (what `domain` and `lane` must be). */
export function isDNSLabel(value: string): boolean {
  return LABEL.test(value)
}

/** `*.my.workfront.com` matches exactly one label before `.my.workfront.com`; other patterns match exactly. */
export function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase()
  if (!p.startsWith('*.')) return host === p
  const rest = p.slice(1)
  if (!host.endsWith(rest)) return false
  return isDNSLabel(host.slice(0, -rest.length))
}

/** Whether a host matches one of the allowlist's patterns (`*.my.workfront.com`). */
export function isHostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => hostMatches(host, pattern))
}

/** Whether a host name is a loopback address (`localhost`, `127.x.x.x`, `::1`). */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(hostname)
  )
}

/**
 * Parses an org base URL from configuration (`https://acme.my.workfront.com`) into its origin. `http:` is
 * accepted for loopback hosts only (a local mock); paths, credentials, queries and fragments are refused.
 */
export function parseBaseURL(value: string, what = 'baseUrl'): string {
  let url: URL
  try {
    url = new URL(value)
  } catch (cause) {
    throw new WorkfrontOAuthError('invalid_options', `${what} is not a URL`, { cause })
  }
  const insecureLoopback = url.protocol === 'http:' && isLoopbackHost(url.hostname)
  if (url.protocol !== 'https:' && !insecureLoopback) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      `${what} must use https: (http: only for loopback hosts)`,
    )
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      `${what} must be an origin, without path, query or credentials`,
    )
  }
  return url.origin
}

/** The origins a `domain`/`lane` pair can name, most likely first. Null when either is not a DNS label. */
export function candidateOrigins(domain: string, lane: string): string[] | null {
  const d = domain.toLowerCase()
  const l = lane.toLowerCase()
  if (!isDNSLabel(d) || !isDNSLabel(l)) return null
  return SUFFIXES.map((suffix) => `https://${d}.${l}${suffix}`)
}

/** The tenant origin a callback resolves to, or why it is refused. */
export type TenantResolution = { ok: true; origin: string } | { ok: false; error: WorkfrontOAuthError }

/** What `resolveTenant()` decides from: the callback's labels and the tenant bound to the login. */
export interface ResolveTenantInput {
  /** `domain` and `lane` from the callback, as received (may be absent or hostile). */
  domain: string | null
  /** The callback's `lane`, as received. */
  lane: string | null
  /** The origin the login was bound to when it started (fixed tenant, or the org the user named). */
  expectedOrigin: string | null
  /** Host patterns the token request may go to (multi-tenant apps). */
  allowedHosts: readonly string[]
  /** True when the expected origin comes from configuration (fixed-tenant app). */
  fixed: boolean
}

/**
 * Decides the token endpoint's origin for a callback. Pure: no request is made here, and no input can
 * produce an origin outside the configured tenant or the allowlist.
 */
export function resolveTenant(input: ResolveTenantInput): TenantResolution {
  const { domain, lane, expectedOrigin } = input
  const fail = (
    code: 'invalid_tenant' | 'tenant_not_allowed' | 'tenant_mismatch' | 'tenant_ambiguous',
    message: string,
  ): TenantResolution => ({
    ok: false,
    error: new WorkfrontOAuthError(code, message),
  })
  const named = domain !== null || lane !== null
  let candidates: string[] | null = null
  if (named) {
    // An absent lane means production, Workfront's default lane.
    candidates = candidateOrigins(domain ?? '', lane ?? 'my')
    if (!candidates) return fail('invalid_tenant', 'The callback names a malformed Workfront domain or lane')
  }

  if (expectedOrigin !== null) {
    if (!candidates) return { ok: true, origin: expectedOrigin }
    if (candidates.includes(expectedOrigin)) return { ok: true, origin: expectedOrigin }
    // A fixed org that is not a Workfront host (a local mock, a proxy) cannot be compared with the labels;
    // the token host comes from configuration and never from the query, so nothing is sent elsewhere.
    if (input.fixed && !isHostAllowed(new URL(expectedOrigin).host, WORKFRONT_HOST_PATTERNS)) {
      return { ok: true, origin: expectedOrigin }
    }
    return fail(
      'tenant_mismatch',
      'The callback names a different Workfront tenant than the login started with',
    )
  }

  if (!candidates)
    return fail('invalid_tenant', 'The callback does not name the Workfront tenant (domain, lane)')
  // The callback names a domain and a lane, not the host family (classic or Unified Experience). When the
  // allowlist admits both, choosing one would be a guess, and a wrong guess sends the secret to a host that
  // neither the login nor the app named: refuse, and let the user start from their org's address.
  const allowed = candidates.filter((candidate) => isHostAllowed(new URL(candidate).host, input.allowedHosts))
  if (allowed.length === 0) {
    return fail('tenant_not_allowed', 'The Workfront tenant named by the callback is not allowed')
  }
  if (allowed.length > 1) {
    return fail(
      'tenant_ambiguous',
      "The callback does not say which Workfront host family the org is on; sign in from the org's address",
    )
  }
  return { ok: true, origin: allowed[0] as string }
}

/**
 * Normalizes what a user typed as their org (`acme`, `acme.my.workfront.com`, `https://acme.preview.workfront.com/`)
 * into an allowed origin, or explains why it is not one.
 */
export function parseTenantInput(value: string, allowedHosts: readonly string[]): TenantResolution {
  const text = value.trim().toLowerCase()
  let host: string
  if (isDNSLabel(text)) host = `${text}.my.workfront.com`
  else {
    let url: URL
    try {
      url = new URL(text.includes('://') ? text : `https://${text}`)
    } catch {
      return {
        ok: false,
        error: new WorkfrontOAuthError('invalid_tenant', 'That is not a Workfront address'),
      }
    }
    if (url.protocol !== 'https:' || url.username || url.password || url.port) {
      return {
        ok: false,
        error: new WorkfrontOAuthError('invalid_tenant', 'That is not a Workfront address'),
      }
    }
    host = url.hostname
  }
  if (!isHostAllowed(host, allowedHosts)) {
    return {
      ok: false,
      error: new WorkfrontOAuthError('tenant_not_allowed', 'That Workfront tenant is not allowed'),
    }
  }
  return { ok: true, origin: `https://${host}` }
}
