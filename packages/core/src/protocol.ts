/**
 * The token endpoint, spoken through openid-client.
 *
 * One `Configuration` per tenant origin (the token host differs per org); its `customFetch` is the HTTP
 * port, wrapped by `tokenFetch` below, which is the one place where Workfront's dialect meets the
 * standard: the documented Basic + JSON request form, the `sessionID` token type, and non-RFC error bodies.
 */
import * as oidc from 'openid-client'
import { consoleLogger } from './defaults.ts'
import { base64, hasControlCharacters, isTokenText } from './encoding.ts'
import type { ErrorCode } from './errors.ts'
import { WorkfrontOAuthError } from './errors.ts'
import {
  isRedirect,
  MAX_TOKEN_RESPONSE_BYTES,
  parseRetryAfter,
  readBoundedText,
  sendWithDeadline,
} from './http.ts'
import type { TokenSet } from './machine.ts'
import { AUTHORIZE_PATH, TOKEN_PATH } from './machine.ts'
import type { Clock, HTTPClient, Logger } from './ports.ts'
import { isLoopbackHost } from './tenant.ts'

/**
 * How the client authenticates at the token endpoint. Workfront documents two forms:
 * - `post` (Example 2): form body with `client_id` and `client_secret`;
 * - `basic` (Example 1): `Authorization: Basic base64(client_id:client_secret)` with a JSON body;
 * and single-page apps use `none`: a form body with `client_id` and a PKCE `code_verifier`, no secret.
 */
export type ClientAuth = 'post' | 'basic' | 'none'

export interface TokenClientOptions {
  clientId: string
  clientSecret: string | null
  clientAuth: ClientAuth
  redirectUri: string
  http: HTTPClient
  timeoutMs: number
  clock: Clock
  /** Told when Workfront refuses the client credentials: only an operator can fix that. Default `console`. */
  logger?: Logger
}

export interface TokenClient {
  exchange(origin: string, code: string, state: string, codeVerifier: string | null): Promise<TokenSet>
  refresh(origin: string, refreshToken: string): Promise<TokenSet>
}

/** Extra field carrying Workfront's own `token_type` through openid-client (see `normalizeTokenResponse`). */
const ORIGINAL_TOKEN_TYPE = 'x_workfront_token_type'
const MAX_ERROR_BODY = 16 * 1024

export function createTokenClient(options: TokenClientOptions): TokenClient {
  const { clientId, clientSecret, clientAuth } = options

  function configuration(
    origin: string,
    grantType: 'authorization_code' | 'refresh_token',
  ): oidc.Configuration {
    const auth = clientAuth === 'post' ? oidc.ClientSecretPost(clientSecret as string) : oidc.None()
    const config = new oidc.Configuration(
      {
        issuer: origin,
        authorization_endpoint: `${origin}${AUTHORIZE_PATH}`,
        token_endpoint: `${origin}${TOKEN_PATH}`,
      },
      clientId,
      undefined,
      auth,
    )
    config[oidc.customFetch] = (url, init) => tokenFetch(origin, grantType, url, init)
    // A backstop only: the deadline that decides is `sendWithDeadline`'s (in `tokenFetch`), on the clock,
    // which gives an answer that arrived while the process was paused a moment to be read. openid-client's
    // own (a real `AbortSignal.timeout`) would abort that answer after the same pause, so it is far later.
    config.timeout = Math.ceil((options.timeoutMs * 10) / 1000)
    // Plain http only ever to a loopback host: a Workfront mock on this machine.
    if (new URL(origin).protocol === 'http:' && isLoopbackHost(new URL(origin).hostname)) {
      oidc.allowInsecureRequests(config)
    }
    return config
  }

  async function tokenFetch(
    origin: string,
    grantType: 'authorization_code' | 'refresh_token',
    url: string,
    init: oidc.CustomFetchOptions,
  ): Promise<Response> {
    // The secret goes to the tenant's token endpoint and nowhere else.
    if (url !== `${origin}${TOKEN_PATH}`) {
      throw new WorkfrontOAuthError(
        'unexpected_response',
        'Refusing to send credentials to an unexpected URL',
      )
    }
    const headers = new Headers(init.headers)
    let body: string
    if (clientAuth === 'basic') {
      // Workfront's Example 1, field for field: the credentials in the header, the grant in a JSON body.
      // `base64(client_id:client_secret)` as the doc writes it, without RFC 6749 §2.3.1's form-encoding.
      const params = new URLSearchParams(
        typeof init.body === 'string' || init.body instanceof URLSearchParams ? init.body : '',
      )
      const json: Record<string, string> =
        grantType === 'authorization_code'
          ? {
              code: params.get('code') ?? '',
              grant_type: 'authorization_code',
              redirect_uri: params.get('redirect_uri') ?? '',
            }
          : { grant_type: 'refresh_token', refresh_token: params.get('refresh_token') ?? '' }
      const verifier = params.get('code_verifier')
      if (verifier !== null) json.code_verifier = verifier
      headers.set('authorization', `Basic ${base64(`${clientId}:${clientSecret}`)}`)
      headers.set('content-type', 'application/json')
      body = JSON.stringify(json)
    } else {
      body = String(init.body)
    }
    return sendWithDeadline(
      options.http,
      url,
      { method: 'POST', headers, body, signal: init.signal },
      {
        timeoutMs: options.timeoutMs,
        clock: options.clock,
        onTimeout: () =>
          new WorkfrontOAuthError(
            'token_endpoint_unreachable',
            `The Workfront token endpoint did not answer in ${options.timeoutMs} ms`,
          ),
        read: (response) => normalizeTokenResponse(response, grantType, options.clock.now()),
      },
    )
  }

  async function run(
    origin: string,
    grantType: 'authorization_code' | 'refresh_token',
    call: () => Promise<oidc.TokenEndpointResponse>,
  ): Promise<TokenSet> {
    try {
      return toTokenSet(await call())
    } catch (error) {
      const typed = toTokenError(error)
      const logger = options.logger ?? consoleLogger
      const context = { clientId, clientAuth, origin, grantType }
      if (typed.code === 'client_rejected') reportClientRejection(logger, typed, context)
      else if (typed.code === 'refresh_rejected' && typed.status === 401) {
        // Read as "sign in again" (above), but it may also be the app's credentials: if the user's new
        // sign-in then fails with client_rejected, that is what it was. The operator hears of it either way.
        logger.warn(
          'Workfront answered 401 to a refresh without naming the client; the user is asked to sign in again. If sign-ins fail with client_rejected, check the client credentials',
          clientDetails(typed, context),
        )
      }
      throw typed
    }
  }

  return {
    exchange(origin, code, state, codeVerifier) {
      const callback = new URL(options.redirectUri)
      callback.searchParams.set('code', code)
      callback.searchParams.set('state', state)
      const checks: oidc.AuthorizationCodeGrantChecks = { expectedState: state }
      if (codeVerifier !== null) checks.pkceCodeVerifier = codeVerifier
      return run(origin, 'authorization_code', () =>
        oidc.authorizationCodeGrant(configuration(origin, 'authorization_code'), callback, checks),
      )
    },
    refresh(origin, refreshToken) {
      // Workfront's form example for refresh also carries `redirect_uri`.
      const parameters = clientAuth === 'basic' ? undefined : { redirect_uri: options.redirectUri }
      return run(origin, 'refresh_token', () =>
        oidc.refreshTokenGrant(configuration(origin, 'refresh_token'), refreshToken, parameters),
      )
    },
  }
}

/**
 * Turns a token endpoint response into one openid-client accepts, or into a typed error.
 *
 * Workfront answers `token_type: "sessionID"`, which oauth4webapi (under openid-client) refuses for the code
 * and refresh grants: it only knows `bearer`/`dpop`, and openid-client offers no way to pass it more. The
 * `sessionID` token is not a bearer token (it goes in a `sessionID` header), so we neither pretend it is
 * one nor drop it: the response is handed on with `token_type: "bearer"` and the original value in an
 * extra field, which `toTokenSet` restores. This is the only place where the response is rewritten.
 */
async function normalizeTokenResponse(
  response: Response,
  grantType: 'authorization_code' | 'refresh_token',
  now: number,
): Promise<Response> {
  if (isRedirect(response)) {
    throw new WorkfrontOAuthError(
      'unexpected_response',
      'The token endpoint answered with a redirect, which is not followed',
      {
        status: response.status,
      },
    )
  }
  const { text, complete } = await readTokenBody(response, 'token endpoint')
  if (!response.ok) {
    throw tokenErrorFromResponse(
      response,
      text,
      now,
      grantType === 'authorization_code'
        ? { code: 'code_rejected', what: 'the authorization code' }
        : // Any 4xx on refresh means the refresh token is no longer usable (WORKFRONT.md "Token endpoint errors"),
          // a bare 401 included: only a response that names the client is the client's fault.
          { code: 'refresh_rejected', what: 'the refresh token', bare401: 'rejected' },
    )
  }
  tooLarge(complete, 'token endpoint', response.status)
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new WorkfrontOAuthError(
      'unexpected_response',
      'The token endpoint answered with something that is not JSON',
      {
        status: response.status,
      },
    )
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new WorkfrontOAuthError(
      'unexpected_response',
      'The token endpoint answered with an unexpected JSON value',
    )
  }
  const record = body as Record<string, unknown>
  checkTokenFields(record, 'token endpoint', response.status)
  const tokenType = typeof record.token_type === 'string' ? record.token_type : 'sessionID'
  const normalized = { ...record, token_type: 'bearer', [ORIGINAL_TOKEN_TYPE]: tokenType }
  return new Response(JSON.stringify(normalized), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  })
}

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
function clientDetails(
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

function toTokenSet(response: oidc.TokenEndpointResponse): TokenSet {
  const extra = response as unknown as Record<string, unknown>
  const expiresIn =
    typeof response.expires_in === 'number' && response.expires_in > 0 ? response.expires_in : null
  return {
    accessToken: response.access_token,
    refreshToken:
      typeof response.refresh_token === 'string' && response.refresh_token !== ''
        ? response.refresh_token
        : null,
    tokenType:
      typeof extra[ORIGINAL_TOKEN_TYPE] === 'string' ? (extra[ORIGINAL_TOKEN_TYPE] as string) : 'sessionID',
    expiresIn,
    wid: typeof extra.wid === 'string' ? extra.wid : null,
  }
}

/** Finds our own error under openid-client's wrapping, or classifies what went wrong. */
function toTokenError(error: unknown): WorkfrontOAuthError {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof WorkfrontOAuthError) return e
  }
  const code = (error as { code?: unknown }).code
  if (error instanceof TypeError || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') {
    return new WorkfrontOAuthError(
      'token_endpoint_unreachable',
      'The Workfront token endpoint could not be reached',
      {
        cause: safeCause(error),
      },
    )
  }
  return new WorkfrontOAuthError(
    'unexpected_response',
    'The Workfront token endpoint answered unexpectedly',
    {
      cause: safeCause(error),
    },
  )
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
