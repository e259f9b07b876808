import type { Context } from 'hono'
import type { AppConfig, Config, PublicKeyConfig } from './config'
import { timingSafeEqual } from './crypto'
import { type Engine, type TokenError, tokenError } from './engine'
import { bodyText, connectionReset, sleep } from './io'
import type { ReplayGuard } from './replay'
import { errorResponse, FORM, mediaType, NO_STORE } from './token'

/**
 * `POST /integrations/oauth2/api/v1/jwt/exchange`: the Machine to Machine flow. A form body with
 * `client_id`, `client_secret` and `jwt_token`, an RS256 JWT signed with a key registered with the app,
 * whose `iss` is the org's Customer ID, `sub` the user who created that key, and `exp` a near future.
 * The answer is an API session without a refresh token; its shape and the error bodies are not documented
 * by Workfront, so they follow the token endpoint's (an inference, see WORKFRONT.md "Machine to Machine").
 * With `jwtReplay: 'refuse'`, a JWT is exchanged once: its replay is refused until it expires (an
 * inference too).
 * @see WORKFRONT.md "Machine to Machine: the JWT flow"
 */

export const JWT_EXCHANGE_PATH = '/integrations/oauth2/api/v1/jwt/exchange'

/** A JWT that passed every check: its user, and how a replay of it is recognised until it expires. */
type Verified = { ok: true; userID: string; replayId: string; expiresAt: number } | TokenError

const invalid = (description: string): TokenError => tokenError(400, 'invalid_grant', description)

function decodeSegment(segment: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined
  try {
    const binary = atob(segment.replace(/-/g, '+').replace(/_/g, '/'))
    return Uint8Array.from(binary, (ch) => ch.charCodeAt(0))
  } catch {
    return undefined
  }
}

function decodeJSON(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeSegment(segment)
  if (!bytes) return undefined
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

export function jwtHandler(config: Config, engine: Engine, replays: ReplayGuard) {
  const keys = new Map<PublicKeyConfig, Promise<CryptoKey>>()
  const importKey = (key: PublicKeyConfig): Promise<CryptoKey> => {
    let imported = keys.get(key)
    if (!imported) {
      imported = crypto.subtle.importKey(
        'spki',
        key.spki,
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        false,
        ['verify'],
      )
      keys.set(key, imported)
    }
    return imported
  }

  async function verify(app: AppConfig, token: string): Promise<Verified> {
    const parts = token.split('.')
    if (parts.length !== 3) return invalid('jwt_token is not a signed JWT (three parts).')
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]
    const header = decodeJSON(headerPart)
    const claims = decodeJSON(payloadPart)
    const signature = decodeSegment(signaturePart)
    if (!header || !claims || !signature) return invalid('jwt_token is not a well-formed JWT.')
    // Only RS256: `none` would need no key at all, and HS256 would take the public key as an HMAC secret.
    if (header.alg !== 'RS256') return invalid('The JWT must be signed with RS256.')
    const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`)
    let signer: PublicKeyConfig | undefined
    for (const key of app.publicKeys) {
      if (await crypto.subtle.verify('RSASSA-PKCS1-v1_5', await importKey(key), signature, signed)) {
        signer = key
        break
      }
    }
    if (!signer) return invalid('The JWT signature does not verify with a key registered for this app.')
    const now = engine.now()
    if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
      return invalid('The JWT needs a numeric exp claim.')
    }
    if (claims.exp * 1000 <= now) return invalid('The JWT has expired.')
    if (claims.exp * 1000 - now > config.jwtMaxLifetimeMs) {
      return invalid('The JWT expires too far in the future.')
    }
    if (claims.iss !== config.customerId) return invalid('The JWT iss is not this organization.')
    if (claims.sub !== signer.userId || !config.usersByID.has(signer.userId)) {
      return invalid('The JWT sub is not the user who registered the signing key.')
    }
    // Optional registered claims (RFC 7519 §4.1.6, §4.1.7): when present, of the type the RFC gives them.
    if (claims.iat !== undefined && (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat))) {
      return invalid('The JWT iat claim must be a number.')
    }
    if (claims.jti !== undefined && (typeof claims.jti !== 'string' || claims.jti === '')) {
      return invalid('The JWT jti claim must be a non-empty string.')
    }
    return {
      ok: true,
      userID: signer.userId,
      replayId: typeof claims.jti === 'string' ? `jti:${app.clientId}:${claims.jti}` : `jwt:${token}`,
      expiresAt: claims.exp * 1000,
    }
  }

  return async (c: Context): Promise<Response> => {
    await sleep(engine.latency().jwt)
    engine.countJWTExchange('call')
    if (c.req.method !== 'POST') {
      return errorResponse(c, config, tokenError(405, 'invalid_request', 'Use POST.'), false)
    }
    const injected = engine.takeFailure('jwt', ['status500', 'reset'])?.kind
    if (injected === 'reset') throw connectionReset()
    if (injected === 'status500') {
      return errorResponse(c, config, tokenError(500, 'server_error', 'Injected failure.'), false)
    }
    const fail = (error: TokenError): Response => errorResponse(c, config, error, false)
    if (c.req.header('authorization') !== undefined) {
      return fail(tokenError(400, 'invalid_request', 'Credentials go in the form body, not in a header.'))
    }
    if (mediaType(c.req.header('content-type')) !== FORM) {
      return fail(tokenError(415, 'invalid_request', `Content-Type must be ${FORM}.`))
    }
    const params = new Map<string, string>()
    for (const [key, value] of new URLSearchParams(await bodyText(c.req.raw))) {
      if (params.has(key)) return fail(tokenError(400, 'invalid_request', `Parameter ${key} is repeated.`))
      params.set(key, value)
    }
    const app = config.apps.get(params.get('client_id') ?? '')
    const secret = params.get('client_secret') ?? ''
    let authenticated = false
    for (const known of app?.secrets ?? []) if (timingSafeEqual(secret, known)) authenticated = true
    if (!app || !authenticated)
      return fail(tokenError(401, 'invalid_client', 'Client authentication failed.'))
    if (app.type !== 'm2m') {
      return fail(tokenError(400, 'unauthorized_client', 'This app is not a Machine to Machine app.'))
    }
    const token = params.get('jwt_token')
    if (!token) return fail(tokenError(400, 'invalid_request', 'jwt_token is required.'))
    const verified = await verify(app, token)
    if (!verified.ok) return fail(verified)
    // After the last await: checking and recording the JWT cannot be split by a concurrent exchange.
    if (config.refuseJWTReplays && !replays.admit(verified.replayId, verified.expiresAt, engine.now())) {
      return fail(invalid('This JWT has already been exchanged; sign a new one.'))
    }
    engine.countJWTExchange('success')
    return c.json(engine.sessionFor(verified.userID), 200, NO_STORE)
  }
}
