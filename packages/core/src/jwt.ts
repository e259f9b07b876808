/**
 * The JWT of Workfront's Machine to Machine flow, signed with Web Crypto: RS256 (RSASSA-PKCS1-v1_5 with
 * SHA-256), `iss` = the org's Customer ID, `sub` = the user who registered the public key, and a short
 * `exp` (Workfront recommends a few minutes; a new JWT is signed for every exchange), plus `iat` and a
 * random `jti` (RFC 7519 §4.1.6–7): RS256 is deterministic, so without them two exchanges within one
 * second would send byte-identical JWTs, which a server that refuses replays must refuse.
 * @see WORKFRONT.md "Machine to Machine: the JWT flow"
 */
import { base64url, fromBase64url, utf8 } from './encoding.ts'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from './errors.ts'
import { isRedirect, sendWithDeadline } from './http.ts'
import type { TokenSet } from './machine.ts'
import { randomToken } from './pkce.ts'
import type { Clock, HTTPClient, Logger, RandomSource } from './ports.ts'
import {
  checkTokenFields,
  readTokenBody,
  reportClientRejection,
  safeCause,
  tokenErrorFromResponse,
  tooLarge,
} from './token-answers.ts'

const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const
/** NIST SP 800-57 Part 1 and RFC 7518 §3.3: RS256 keys are at least 2048 bits. */
const MIN_RSA_BITS = 2048

/**
 * A Web Crypto key as `crypto.subtle` makes it: the global `CryptoKey` of browsers and workerd,
 * `crypto.webcrypto.CryptoKey` on Node. Declared by its shape so that the package's types need no DOM
 * library (a Node project's `lib` has no `CryptoKey`).
 */
export interface WebCryptoKey {
  /** `private` for a signing key. */
  readonly type: string
  /** Its algorithm: RSASSA-PKCS1-v1_5 with SHA-256 for RS256. */
  readonly algorithm: { readonly name: string }
  /** Whether the key material can be exported. */
  readonly extractable: boolean
  /** What it may do: `sign`. */
  readonly usages: readonly string[]
}

/** A private key as the app holds it: PKCS#8 PEM text (`-----BEGIN PRIVATE KEY-----`), or a `CryptoKey`. */
export type JWTPrivateKey = string | WebCryptoKey

export interface WorkfrontJWTClaims {
  /** The Customer ID from the app's details in Workfront. */
  customerId: string
  /** The Workfront user ID that registered the public key: the user the server job acts as. */
  userId: string
}

const badKey = (message: string, cause?: unknown): WorkfrontOAuthError =>
  new WorkfrontOAuthError('invalid_private_key', message, cause === undefined ? {} : { cause })

/**
 * Checks a private key and makes it a signing `CryptoKey`. PEM text must be PKCS#8; PKCS#1
 * (`BEGIN RSA PRIVATE KEY`, what older tools write) is refused with the conversion to run. Never puts key
 * material in an error.
 */
export async function importJWTPrivateKey(key: JWTPrivateKey): Promise<CryptoKey> {
  if (typeof key !== 'string') {
    const algorithm = key.algorithm as { name?: string; hash?: { name?: string } }
    if (
      key.type !== 'private' ||
      algorithm.name !== RS256.name ||
      algorithm.hash?.name !== RS256.hash ||
      !key.usages.includes('sign')
    ) {
      throw badKey('The private key must be an RSASSA-PKCS1-v1_5 SHA-256 private CryptoKey usable to sign')
    }
    // Checked above; what else has this shape is not a key crypto.subtle can sign with, and fails there.
    return checkSize(key as CryptoKey)
  }
  const text = key.trim()
  if (text.startsWith('-----BEGIN RSA PRIVATE KEY-----')) {
    throw badKey(
      'The private key is PKCS#1; convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.p8.pem',
    )
  }
  if (text.startsWith('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    throw badKey('The private key is encrypted; give the decrypted PKCS#8 key')
  }
  const match = /^-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----$/.exec(text)
  const der = match ? fromBase64url((match[1] as string).replace(/\s+/g, '')) : null
  if (!der || der.length === 0) throw badKey('The private key is not a PKCS#8 PEM (BEGIN PRIVATE KEY)')
  let imported: CryptoKey
  try {
    imported = await crypto.subtle.importKey('pkcs8', der, RS256, false, ['sign'])
  } catch (cause) {
    // The cause is the runtime's error about the DER, which holds no key material.
    throw badKey(
      'The private key is not an RSA key in PKCS#8',
      cause instanceof Error ? cause.name : undefined,
    )
  }
  return checkSize(imported)
}

/** Refuses RSA keys shorter than {@link MIN_RSA_BITS}: they can be factored, and the JWT forged. */
function checkSize(key: CryptoKey): CryptoKey {
  const bits = (key.algorithm as { modulusLength?: unknown }).modulusLength
  if (typeof bits !== 'number' || bits < MIN_RSA_BITS) {
    throw badKey(
      `The private key is ${typeof bits === 'number' ? `${bits}-bit` : 'of unknown size'}; RS256 needs an RSA key of at least ${MIN_RSA_BITS} bits`,
    )
  }
  return key
}

/** What one JWT is signed with besides its claims: the time and the random id. */
export interface JWTSigning {
  /** Epoch milliseconds (the `Clock` port): `iat`, and `exp` = `iat` + `lifetimeSeconds`. */
  now: number
  /** How long the JWT is valid, in whole seconds. */
  lifetimeSeconds: number
  /** `jti`: a random value, new for every JWT (from the `RandomSource` port). */
  jwtId: string
}

/** Signs the JWT for one exchange. */
export async function signWorkfrontJWT(
  key: CryptoKey,
  claims: WorkfrontJWTClaims,
  signing: JWTSigning,
): Promise<string> {
  const header = base64url(utf8(JSON.stringify({ alg: 'RS256', typ: 'JWT' })))
  const iat = Math.floor(signing.now / 1000)
  const payload = base64url(
    utf8(
      JSON.stringify({
        iss: claims.customerId,
        sub: claims.userId,
        iat,
        exp: iat + signing.lifetimeSeconds,
        jti: signing.jwtId,
      }),
    ),
  )
  const input = `${header}.${payload}`
  const signature = new Uint8Array(await crypto.subtle.sign(RS256, key, utf8(input)))
  return `${input}.${base64url(signature)}`
}

/** Where Workfront exchanges a signed JWT for a session. */
export const JWT_EXCHANGE_PATH = '/integrations/oauth2/api/v1/jwt/exchange'

export interface JWTExchangeOptions extends WorkfrontJWTClaims {
  clientId: string
  clientSecret: string
  privateKey: JWTPrivateKey
  /** `exp` = now + this, in seconds. */
  lifetimeSeconds: number
  http: HTTPClient
  timeoutMs: number
  clock: Clock
  /** Source of each JWT's `jti`. */
  random: RandomSource
  /** Told when Workfront refuses the client itself (`client_rejected`). */
  logger: Logger
}

export interface JWTExchange {
  /** Signs a new JWT and exchanges it at `origin` for an API session (no refresh token). */
  exchange(origin: string): Promise<TokenSet>
}

/**
 * The exchange on the wire, as Workfront documents it: `POST <org>/integrations/oauth2/api/v1/jwt/exchange`
 * with a URL-encoded body of `client_id`, `client_secret` and `jwt_token`. A new JWT every time (Workfront's
 * advice). The answer is not documented: it is read as the token response of the code flow, whose refresh
 * token, if any, is ignored (a server session is renewed by another exchange).
 */
export function createJWTExchange(options: JWTExchangeOptions): JWTExchange {
  let key: Promise<CryptoKey> | undefined
  return {
    async exchange(origin) {
      key ??= importJWTPrivateKey(options.privateKey)
      const jwt = await signWorkfrontJWT(await key, options, {
        now: options.clock.now(),
        lifetimeSeconds: options.lifetimeSeconds,
        jwtId: randomToken(options.random, 16),
      })
      const body = new URLSearchParams({
        client_id: options.clientId,
        client_secret: options.clientSecret,
        jwt_token: jwt,
      })
      try {
        return await sendWithDeadline(
          options.http,
          `${origin}${JWT_EXCHANGE_PATH}`,
          {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body: body.toString(),
          },
          {
            timeoutMs: options.timeoutMs,
            clock: options.clock,
            onTimeout: () =>
              new WorkfrontOAuthError(
                'token_endpoint_unreachable',
                `The Workfront JWT exchange did not answer in ${options.timeoutMs} ms`,
              ),
            read: (response) => readExchange(response, options.clock.now()),
          },
        )
      } catch (error) {
        if (isWorkfrontOAuthError(error)) {
          if (error.code === 'client_rejected') {
            reportClientRejection(options.logger, error, {
              clientId: options.clientId,
              clientAuth: 'post',
              origin,
              grantType: 'jwt',
            })
          }
          throw error
        }
        throw new WorkfrontOAuthError(
          'token_endpoint_unreachable',
          'The Workfront JWT exchange could not be reached',
          { cause: safeCause(error) },
        )
      }
    },
  }
}

async function readExchange(response: Response, now: number): Promise<TokenSet> {
  if (isRedirect(response)) {
    throw new WorkfrontOAuthError(
      'unexpected_response',
      'The JWT exchange answered with a redirect, which is not followed',
      { status: response.status },
    )
  }
  const { text, complete } = await readTokenBody(response, 'JWT exchange')
  const status = response.status
  if (!response.ok) {
    throw tokenErrorFromResponse(
      response,
      text,
      now,
      { code: 'jwt_rejected', what: 'the JWT' },
      'JWT exchange',
    )
  }
  tooLarge(complete, 'JWT exchange', status)
  let record: Record<string, unknown> = {}
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      record = value as Record<string, unknown>
    }
  } catch {
    // Not JSON: no access token, refused below.
  }
  checkTokenFields(record, 'JWT exchange', status)
  return {
    accessToken: record.access_token as string,
    refreshToken: null,
    tokenType: typeof record.token_type === 'string' ? record.token_type : 'sessionID',
    expiresIn: typeof record.expires_in === 'number' && record.expires_in > 0 ? record.expires_in : null,
    wid: typeof record.wid === 'string' ? record.wid : null,
  }
}
