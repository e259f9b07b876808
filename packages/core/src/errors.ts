/**
 * One error family for every package of workfront-oauth.
 *
 * `name` is a literal and `code` a literal union, so callers can branch on them even when two copies of the
 * package are installed (where `instanceof` fails). Messages are built from fixed text and non-secret facts
 * (host names, HTTP statuses, upstream error codes): a client secret, code, token or cookie key never
 * reaches a message, `toString()` or `toJSON()`.
 */

/** The codes of `WorkfrontOAuthError`, as constants; `docs/troubleshooting.md` explains each. */
export const ErrorCode = {
  InvalidOptions: 'invalid_options',
  InvalidCallback: 'invalid_callback',
  StateMismatch: 'state_mismatch',
  StateExpired: 'state_expired',
  BrowserMismatch: 'browser_mismatch',
  AccessDenied: 'access_denied',
  AuthorizationError: 'authorization_error',
  InvalidTenant: 'invalid_tenant',
  TenantNotAllowed: 'tenant_not_allowed',
  TenantMismatch: 'tenant_mismatch',
  TenantAmbiguous: 'tenant_ambiguous',
  CodeRejected: 'code_rejected',
  ClientRejected: 'client_rejected',
  RefreshRejected: 'refresh_rejected',
  ReauthorizationRequired: 'reauthorization_required',
  JWTRejected: 'jwt_rejected',
  InvalidPrivateKey: 'invalid_private_key',
  GrantNotFound: 'grant_not_found',
  TokenEndpointUnreachable: 'token_endpoint_unreachable',
  UnexpectedResponse: 'unexpected_response',
  RefreshTimeout: 'refresh_timeout',
  StoreUnavailable: 'store_unavailable',
  DecryptionFailed: 'decryption_failed',
  UnknownEncryptionKey: 'unknown_encryption_key',
  APIUnreachable: 'api_unreachable',
  APIError: 'api_error',
  RateLimited: 'rate_limited',
  URITooLong: 'uri_too_long',
  InvalidPath: 'invalid_path',
  InvalidReturnTo: 'invalid_return_to',
  CSRFRejected: 'csrf_rejected',
  LoginRateLimited: 'login_rate_limited',
  LoginCapacityExceeded: 'login_capacity_exceeded',
  MethodNotAllowed: 'method_not_allowed',
  Unauthenticated: 'unauthenticated',
  SignInRefused: 'sign_in_refused',
  NotFound: 'not_found',
  BadRequest: 'bad_request',
  InternalError: 'internal_error',
  InvalidTransition: 'invalid_transition',
} as const

/** A code of `WorkfrontOAuthError` (`state_mismatch`, `reauthorization_required`, …). */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** What a `WorkfrontOAuthError` carries besides its code and message. */
export interface WorkfrontOAuthErrorOptions {
  /** The error that caused this one (kept off `toJSON()`). */
  cause?: unknown
  /** HTTP status of the upstream response that caused the error, when there was one. */
  status?: number
  /** Seconds to wait before retrying, for `rate_limited` (from `Retry-After`) and the login limits. */
  retryAfter?: number
  /** Upstream error identifier (RFC 6749 `error`, Workfront `type` or API error `class`); never free text. */
  upstreamCode?: string
}

/** The JSON shape of an error: what may cross a process or HTTP boundary. */
export interface WorkfrontOAuthErrorJSON {
  /** Always `WorkfrontOAuthError`. */
  name: 'WorkfrontOAuthError'
  /** What went wrong, to branch on. */
  code: ErrorCode
  /** For people; never holds a secret. */
  message: string
  /** The upstream HTTP status, when Workfront answered. */
  status?: number
  /** Seconds to wait before trying again, when known. */
  retryAfter?: number
  /** Workfront's own error code (`invalid_grant`…), when it gave one. */
  upstreamCode?: string
}

/**
 * The one error type of the packages: a literal `name`, a `code` to branch on, the upstream HTTP `status`
 * and Workfront's error class where there was one, and a `cause`. Never contains a secret or a token.
 */
export class WorkfrontOAuthError extends Error {
  /** Always `WorkfrontOAuthError`, also across duplicate installs. */
  override readonly name = 'WorkfrontOAuthError' as const
  /** What went wrong, to branch on (see `errorInfo()` for its status and meaning). */
  readonly code: ErrorCode
  /** The upstream HTTP status, when Workfront answered. */
  readonly status: number | undefined
  /** Seconds to wait before trying again, when known (rate limits, a busy store). */
  readonly retryAfter: number | undefined
  /** Workfront's own error code (`invalid_grant`…), when it gave one. */
  readonly upstreamCode: string | undefined

  constructor(code: ErrorCode, message: string, options: WorkfrontOAuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options.status
    this.retryAfter = options.retryAfter
    this.upstreamCode = options.upstreamCode
  }

  /** The serializable part (no cause, no stack), safe to log or send. */
  toJSON(): WorkfrontOAuthErrorJSON {
    const json: WorkfrontOAuthErrorJSON = { name: this.name, code: this.code, message: this.message }
    if (this.status !== undefined) json.status = this.status
    if (this.retryAfter !== undefined) json.retryAfter = this.retryAfter
    if (this.upstreamCode !== undefined) json.upstreamCode = this.upstreamCode
    return json
  }
}

/** Duck-typed check that also works across duplicate installs of the package. */
export function isWorkfrontOAuthError(value: unknown, code?: ErrorCode): value is WorkfrontOAuthError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { name?: unknown }).name === 'WorkfrontOAuthError' &&
    typeof (value as { code?: unknown }).code === 'string' &&
    (code === undefined || (value as { code: unknown }).code === code)
  )
}

export function assertNever(value: never): never {
  throw new TypeError(`unexpected value: ${String(value)}`)
}
