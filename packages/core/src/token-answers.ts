/**
 * What a token endpoint's answer may be, for the code and refresh grants and the JWT exchange alike: its
 * body read within a bound, its token fields checked, its refusals turned into typed errors (and told to
 * the operator when they are the client's), and library errors stripped of what they carry.
 */

import { hasControlCharacters, isTokenText } from './encoding.ts'
import type { ErrorCode } from './errors.ts'
import { WorkfrontOAuthError } from './errors.ts'
import { MAX_TOKEN_RESPONSE_BYTES, parseRetryAfter, readBoundedText } from './http.ts'
import type { Logger } from './ports.ts'

const MAX_ERROR_BODY = 16 * 1024
/** The longest access or refresh token taken, in characters: real ones are tens of characters. */
export const MAX_TOKEN_LENGTH = 4_096
const MAX_WID_LENGTH = 256
const MAX_TOKEN_TYPE_LENGTH = 64

/** Reads a token endpoint's (or JWT exchange's) body, at most {@link MAX_TOKEN_RESPONSE_BYTES} of it. */
export function readTokenBody(
  response: Response,
  endpoint: string,
): Promise<{ text: string; complete: boolean }> {
  return readBoundedText(response, MAX_TOKEN_RESPONSE_BYTES).catch((cause: unknown) => {
    throw new WorkfrontOAuthError('unexpected_response', `The ${endpoint} answer broke off`, {
      status: response.status,
      cause: safeCause(cause),
    })
  })
}

/** A successful answer cut at the bound is refused: what it holds is not an answer to keep. */
export function tooLarge(complete: boolean, endpoint: string, status: number): void {
  if (complete) return
  throw new WorkfrontOAuthError(
    'unexpected_response',
    `The ${endpoint} answered with more than ${MAX_TOKEN_RESPONSE_BYTES / 1024} KiB`,
    { status },
  )
}

/**
 * Checks what a token answer carries before anything keeps it or sends it on: the tokens are 1–4,096
 * visible ASCII characters (header-safe: a CR or LF in a `sessionID` header would split it), `wid` and
 * `token_type` are bounded. The error names the field and the rule, never the value (it may be a token).
 */
export function checkTokenFields(record: Record<string, unknown>, endpoint: string, status: number): void {
  const refuse = (what: string): never => {
    throw new WorkfrontOAuthError('unexpected_response', `The ${endpoint} answered with ${what}`, { status })
  }
  const tokenRule = `1–${MAX_TOKEN_LENGTH} visible ASCII characters`
  if (typeof record.access_token !== 'string' || record.access_token === '') refuse('no access token')
  if (!isTokenText(record.access_token, MAX_TOKEN_LENGTH)) refuse(`an access_token that is not ${tokenRule}`)
  const refresh = record.refresh_token
  if (typeof refresh === 'string' && refresh !== '' && !isTokenText(refresh, MAX_TOKEN_LENGTH))
    refuse(`a refresh_token that is not ${tokenRule}`)
  const wid = record.wid
  if (typeof wid === 'string' && (wid.length > MAX_WID_LENGTH || hasControlCharacters(wid)))
    refuse(`a wid that is not at most ${MAX_WID_LENGTH} characters of text`)
  const tokenType = record.token_type
  if (typeof tokenType === 'string' && !isTokenText(tokenType, MAX_TOKEN_TYPE_LENGTH))
    refuse(`a token_type that is not 1–${MAX_TOKEN_TYPE_LENGTH} visible ASCII characters`)
}

/** What a refused request asked for: the error code of its refusal, and what to call it in messages. */
export interface TokenRejection {
  code: ErrorCode
  what: string
  /**
   * What a 401 that names no client error means. `'client'` (default): RFC 6749 §5.2, the client failed to
   * authenticate. `'rejected'`: a refusal of the grant like any other 4xx (the refresh: Workfront says any
   * 4xx there means "authorize again", and a user must never be left with an error no sign-in clears).
   */
  bare401?: 'client' | 'rejected'
}

/**
 * The typed error of a token endpoint's (or the JWT exchange's) failure: 429 → `rate_limited`, a refusal
 * of the client itself → `client_rejected`, another 4xx → `rejected.code` (the grant was refused), the rest
 * `unexpected_response`.
 */
export function tokenErrorFromResponse(
  response: Response,
  text: string,
  now: number,
  rejected: TokenRejection,
  endpoint = 'token endpoint',
): WorkfrontOAuthError {
  const status = response.status
  const upstreamCode = parseErrorCode(text.slice(0, MAX_ERROR_BODY))
  const suffix = upstreamCode ? `HTTP ${status}, ${upstreamCode}` : `HTTP ${status}`
  if (status === 429) {
    return new WorkfrontOAuthError('rate_limited', `The Workfront ${endpoint} is rate limiting (${suffix})`, {
      status,
      upstreamCode,
      retryAfter: parseRetryAfter(response.headers.get('retry-after'), now),
    })
  }
  const clientRejected =
    namesClient(upstreamCode) || (status === 401 && (rejected.bare401 ?? 'client') === 'client')
  if (clientRejected) {
    return new WorkfrontOAuthError(
      'client_rejected',
      `Workfront refused this app’s client credentials (${suffix}); the app is misconfigured`,
      { status, upstreamCode },
    )
  }
  if (status >= 400 && status < 500) {
    return new WorkfrontOAuthError(rejected.code, `Workfront rejected ${rejected.what} (${suffix})`, {
      status,
      upstreamCode,
    })
  }
  return new WorkfrontOAuthError('unexpected_response', `The Workfront ${endpoint} failed (${suffix})`, {
    status,
    upstreamCode,
  })
}

/**
 * Every sign-in, refresh or exchange fails the same way until the configuration is fixed: say so where the
 * operator looks. Identifiers only: the client ID is public, the secret is never named.
 */
export function reportClientRejection(
  logger: Logger,
  error: WorkfrontOAuthError,
  context: { clientId: string; clientAuth: string; origin: string; grantType: string },
): void {
  ;(logger.error ?? logger.warn).call(
    logger,
    'Workfront refused this app’s client credentials; check the client ID and secret',
    clientDetails(error, context),
  )
}

/** What the operator is told about a refusal: identifiers only, never the secret. */
export function clientDetails(
  error: WorkfrontOAuthError,
  context: { clientId: string; clientAuth: string; origin: string; grantType: string },
): Record<string, unknown> {
  return {
    code: error.code,
    clientId: context.clientId,
    clientAuth: context.clientAuth,
    host: new URL(context.origin).host,
    grantType: context.grantType,
    status: error.status ?? null,
    upstreamCode: error.upstreamCode ?? null,
  }
}

/**
 * The token endpoint refused the client itself, not the code or the refresh token: RFC 6749 §5.2
 * `invalid_client` (what a 401 from the token endpoint means there) and `unauthorized_client`, in either
 * of Workfront's spellings (its own bodies upper-case the type: `INVALID_CLIENT`). Telling this apart matters:
 * it is not the user's fault, a new sign-in will not help, and a refresh refused this way leaves the
 * refresh token valid. A refresh answered with a 401 that names no such code is the exception: the token
 * client reads it as `refresh_rejected`, as Workfront reads any 4xx on refresh.
 */
export function isClientRejection(status: number, upstreamCode: string | undefined): boolean {
  return status === 401 || namesClient(upstreamCode)
}

function namesClient(upstreamCode: string | undefined): boolean {
  return (
    upstreamCode !== undefined &&
    /^(?:invalid_client|unauthorized_client|invalid_client_credentials|invalid_client_secret)$/i.test(
      upstreamCode,
    )
  )
}

/**
 * Reads the error identifier from either shape Workfront's token endpoint uses: RFC 6749 §5.2
 * `{"error": "invalid_grant", …}` or its own `{"statusCode": 400, "error": true, "type": "…", "message": …}`.
 * Free text (`error_description`, `message`) is never kept: it may echo what the request carried.
 */
export function parseErrorCode(text: string): string | undefined {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof body !== 'object' || body === null) return undefined
  const record = body as Record<string, unknown>
  const candidate =
    typeof record.error === 'string'
      ? record.error
      : typeof record.type === 'string'
        ? record.type
        : undefined
  return candidate !== undefined && /^[A-Za-z0-9_.-]{1,64}$/.test(candidate) ? candidate : undefined
}

/**
 * Keeps the name, code and message of a library error but not its own `cause`, which may hold the
 * response body (and so the tokens) it choked on.
 */
export function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(typeof error))
  const copy = new Error(error.message)
  copy.name = error.name
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') Object.assign(copy, { code })
  return copy
}
