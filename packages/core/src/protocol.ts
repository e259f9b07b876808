/**
 * The token endpoint, spoken through openid-client.
 *
 * One `Configuration` per tenant origin (the token host differs per org); its `customFetch` is the HTTP
 * port, wrapped by `tokenFetch` below, which is the one place where Workfront's dialect meets the
 * standard: the documented Basic + JSON request form, the `sessionID` token type, and non-RFC error bodies.
 */
import * as oidc from 'openid-client'
import { consoleLogger } from './defaults.ts'
import { base64 } from './encoding.ts'
import { WorkfrontOAuthError } from './errors.ts'
import { isRedirect, sendWithDeadline } from './http.ts'
import type { TokenSet } from './machine.ts'
import { AUTHORIZE_PATH, TOKEN_PATH } from './machine.ts'
import type { Clock, HTTPClient, Logger } from './ports.ts'
import { isLoopbackHost } from './tenant.ts'
import {
  checkTokenFields,
  clientDetails,
  readTokenBody,
  reportClientRejection,
  safeCause,
  tokenErrorFromResponse,
  tooLarge,
} from './token-answers.ts'

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
  exchange(origin: string, code: string, codeVerifier: string | null): Promise<TokenSet>
  refresh(origin: string, refreshToken: string): Promise<TokenSet>
}

/** Extra field carrying Workfront's own `token_type` through openid-client (see `normalizeTokenResponse`). */
const ORIGINAL_TOKEN_TYPE = 'x_workfront_token_type'

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
    // Both grants go through `genericGrantRequest`: the request and the processing of the answer are those
    // of `authorizationCodeGrant` and `refreshTokenGrant` (same form fields, in the same order; the same
    // `processGenericAccessTokenResponse`), without what only OpenID providers need. `authorizationCodeGrant`
    // would re-validate a callback URL built here from values the machine has already checked (`state`
    // against the transaction), and check the `nonce` and `auth_time` of an ID token Workfront never sends;
    // with them, it brought about 1.7 KiB (min+gzip) of code into every app.
    exchange(origin, code, codeVerifier) {
      // `authorizationCodeGrant` sent the callback URL stripped of its query and fragment.
      const redirect = new URL(options.redirectUri)
      redirect.search = ''
      redirect.hash = ''
      const parameters: Record<string, string> = { redirect_uri: redirect.href, code }
      if (codeVerifier !== null) parameters.code_verifier = codeVerifier
      return run(origin, 'authorization_code', () =>
        oidc.genericGrantRequest(
          configuration(origin, 'authorization_code'),
          'authorization_code',
          parameters,
        ),
      )
    },
    refresh(origin, refreshToken) {
      // Workfront's form example for refresh also carries `redirect_uri`.
      const parameters: Record<string, string> =
        clientAuth === 'basic' ? {} : { redirect_uri: options.redirectUri }
      parameters.refresh_token = refreshToken
      return run(origin, 'refresh_token', () =>
        oidc.genericGrantRequest(configuration(origin, 'refresh_token'), 'refresh_token', parameters),
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
