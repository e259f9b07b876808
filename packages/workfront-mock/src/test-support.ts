/** Shared by the mock's own tests; not part of the package. */
import { expect } from 'vitest'
import { JWT_EXCHANGE_PATH } from './jwt'
import { DEMO_CUSTOMER_ID, DEMO_M2M_APP, DEMO_SPA_APP, DEMO_USER, DEMO_WEB_APP } from './seed'
import { completeAuthorization, DEMO_M2M_PRIVATE_KEY } from './testing'
import type { TokenResponse, WorkfrontMock } from './types'

export const HOST = 'https://acme.my.workfront.com'
export const TOKEN_URL = `${HOST}/integrations/oauth2/api/v1/token`
export const WEB = {
  clientId: DEMO_WEB_APP.clientId,
  secret: DEMO_WEB_APP.clientSecrets[0]!,
  redirectUri: DEMO_WEB_APP.redirectUris[0]!,
}
export const SPA = { clientId: DEMO_SPA_APP.clientId, redirectUri: DEMO_SPA_APP.redirectUris[0]! }
export const USER = { username: DEMO_USER.username, password: DEMO_USER.password }

export function authorizeURL(params: Record<string, string>): URL {
  const url = new URL('/integrations/oauth2/authorize', HOST)
  url.search = new URLSearchParams(params).toString()
  return url
}

export function basic(id: string, secret: string): string {
  return `Basic ${btoa(`${id}:${secret}`)}`
}

export function jsonTokenRequest(
  body: Record<string, unknown>,
  credentials: { id: string; secret: string } = { id: WEB.clientId, secret: WEB.secret },
): Request {
  return new Request(TOKEN_URL, {
    method: 'POST',
    headers: { Authorization: basic(credentials.id, credentials.secret), 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  })
}

export function formTokenRequest(
  fields: Record<string, string> | string,
  headers: Record<string, string> = {},
): Request {
  return new Request(TOKEN_URL, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields),
  })
}

/** Runs login and consent for the demo user and returns the code from the callback. */
export async function obtainCode(
  mock: Pick<WorkfrontMock, 'fetch'>,
  params: { clientId?: string; redirectUri?: string; challenge?: string; state?: string } = {},
): Promise<string> {
  const query: Record<string, string> = {
    client_id: params.clientId ?? WEB.clientId,
    redirect_uri: params.redirectUri ?? WEB.redirectUri,
    response_type: 'code',
  }
  if (params.challenge)
    Object.assign(query, { code_challenge: params.challenge, code_challenge_method: 'S256' })
  if (params.state) query.state = params.state
  const callback = await completeAuthorization(mock, authorizeURL(query), USER)
  const code = callback.searchParams.get('code')
  expect(code).toBeTruthy()
  return code!
}

export async function exchangeCode(
  mock: Pick<WorkfrontMock, 'fetch'>,
  code: string,
  redirectUri: string = WEB.redirectUri,
): Promise<Response> {
  return mock.fetch(jsonTokenRequest({ code, grant_type: 'authorization_code', redirect_uri: redirectUri }))
}

export async function tokensFor(mock: Pick<WorkfrontMock, 'fetch'>): Promise<TokenResponse> {
  const response = await exchangeCode(mock, await obtainCode(mock))
  expect(response.status).toBe(200)
  return (await response.json()) as TokenResponse
}

export function refreshRequest(refreshToken: string, extra: Record<string, string> = {}): Request {
  return formTokenRequest({
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: WEB.clientId,
    client_secret: WEB.secret,
    ...extra,
  })
}

export function apiRequest(path: string, sessionID?: string, init: RequestInit = {}): Request {
  const headers = new Headers(init.headers)
  if (sessionID !== undefined) headers.set('sessionID', sessionID)
  return new Request(`${HOST}/attask/api/${path}`, { ...init, headers })
}

/** The status of `GET session` with this access token: 200 while the session lives, 401 after. */
export async function sessionStatus(
  mock: Pick<WorkfrontMock, 'fetch'>,
  accessToken: string,
): Promise<number> {
  return (await mock.fetch(apiRequest('v21.0/session', accessToken))).status
}

/** A base clock that only moves when the test moves it: boundaries are then exact. */
export function frozenClock(start = 1_767_225_600_000): { now(): number } {
  return { now: () => start }
}

export const M2M = { clientId: DEMO_M2M_APP.clientId, secret: DEMO_M2M_APP.clientSecrets[0]! }
export const M2M_FIELDS = { client_id: M2M.clientId, client_secret: M2M.secret }

const b64url = (bytes: Uint8Array): string =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '')

export const encodeJSON = (value: unknown): string => b64url(new TextEncoder().encode(JSON.stringify(value)))

/** A PKCS#8 PEM private key as a signing key for RS256. */
export async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = Uint8Array.from(atob(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')), (c) =>
    c.charCodeAt(0),
  )
  return crypto.subtle.importKey('pkcs8', der, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, [
    'sign',
  ])
}

let demoKey: Promise<CryptoKey> | undefined

/**
 * A JWT as a client signs it for the demo m2m app at {@link frozenClock}'s time, with a random `jti` so
 * that two of them differ even within one second; every part can be overridden to build a bad one.
 */
export async function signJWT(
  claims: Record<string, unknown> = {},
  options: { header?: Record<string, unknown>; key?: CryptoKey; signature?: string } = {},
): Promise<string> {
  const now = Math.floor(frozenClock().now() / 1000)
  const header = encodeJSON(options.header ?? { alg: 'RS256', typ: 'JWT' })
  const payload = encodeJSON({
    iss: DEMO_CUSTOMER_ID,
    sub: DEMO_USER.id,
    exp: now + 300,
    iat: now,
    jti: crypto.randomUUID(),
    ...claims,
  })
  const input = new TextEncoder().encode(`${header}.${payload}`)
  demoKey ??= importPrivateKey(DEMO_M2M_PRIVATE_KEY)
  const key = options.key ?? (await demoKey)
  const signature =
    options.signature ?? b64url(new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, input)))
  return `${header}.${payload}.${signature}`
}

/** A request to the JWT exchange endpoint with these form fields. */
export function jwtExchange(fields: Record<string, string>, init: RequestInit = {}): Request {
  return new Request(`${HOST}${JWT_EXCHANGE_PATH}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    ...init,
  })
}

/** The demo m2m app's credentials and a fresh JWT with these claims. */
export async function validJWTExchange(
  claims?: Record<string, unknown>,
): Promise<{ client_id: string; client_secret: string; jwt_token: string }> {
  return { ...M2M_FIELDS, jwt_token: await signJWT(claims) }
}
