import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_USER,
  JWT_EXCHANGE_PATH,
} from '@workfront-oauth/workfront-mock'
import { DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { consoleLogger, cryptoRandom } from './defaults.ts'
import { fromBase64url } from './encoding.ts'
import { createJWTExchange, importJWTPrivateKey, signWorkfrontJWT } from './jwt.ts'

const NOW = Date.parse('2026-11-30T12:00:00Z')
const CLAIMS = { customerId: DEMO_CUSTOMER_ID, userId: DEMO_USER.id }
const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const

const decode = (part: string): unknown => JSON.parse(new TextDecoder().decode(fromBase64url(part)!))

async function rsaPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(
    { ...RS256, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
    true,
    ['sign', 'verify'],
  )
}

/** Made once: RSA key generation is slow on a busy machine, so the tests that wait for it may wait long. */
const pair = rsaPair()
const sha1Pair = crypto.subtle.generateKey(
  {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-1',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  },
  false,
  ['sign'],
)
const KEYGEN_TIMEOUT = 60_000

describe('signWorkfrontJWT', () => {
  it(
    'signs RS256 with iss = customer ID, sub = user ID and a short exp, verifiable with the public key',
    async () => {
      const { privateKey, publicKey } = await pair
      const token = await signWorkfrontJWT(privateKey, CLAIMS, {
        now: NOW + 999,
        lifetimeSeconds: 300,
        jwtId: 'id-1',
      })
      const [header, payload, signature] = token.split('.') as [string, string, string]
      expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT' })
      expect(decode(payload)).toEqual({
        iss: DEMO_CUSTOMER_ID,
        sub: DEMO_USER.id,
        iat: NOW / 1000,
        exp: NOW / 1000 + 300,
        jti: 'id-1',
      })
      expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
      const valid = await crypto.subtle.verify(
        RS256,
        publicKey,
        fromBase64url(signature)!,
        new TextEncoder().encode(`${header}.${payload}`),
      )
      expect(valid).toBe(true)
    },
    KEYGEN_TIMEOUT,
  )

  it('is accepted by the Workfront mock with the demo PKCS#8 PEM key', async () => {
    const mock = createWorkfrontMock({ clock: { now: () => NOW } })
    const key = await importJWTPrivateKey(DEMO_M2M_PRIVATE_KEY)
    const response = await mock.fetch(
      new Request(`https://${mock.host}${JWT_EXCHANGE_PATH}`, {
        method: 'POST',
        body: new URLSearchParams({
          client_id: 'demo-m2m-client',
          client_secret: 'demo-m2m-secret',
          jwt_token: await signWorkfrontJWT(key, CLAIMS, { now: NOW, lifetimeSeconds: 300, jwtId: 'j' }),
        }),
      }),
    )
    expect(response.status).toBe(200)
  })

  // Issue #21 finding 9: claims `iss`, `sub`, `exp` only, and RS256 is deterministic, so two exchanges
  // within one second sent the same bytes.
  it('sends a different JWT, with its own random jti, on every exchange within the same second', async () => {
    const sent: string[] = []
    const exchange = createJWTExchange({
      ...CLAIMS,
      clientId: 'c',
      clientSecret: 's',
      privateKey: DEMO_M2M_PRIVATE_KEY,
      lifetimeSeconds: 300,
      timeoutMs: 10_000,
      clock: { now: () => NOW },
      random: cryptoRandom,
      logger: consoleLogger,
      http: async (_, init) => {
        sent.push(new URLSearchParams(String(init?.body)).get('jwt_token') as string)
        return Response.json({ access_token: 'session', token_type: 'sessionID', expires_in: 3600 })
      },
    })
    await exchange.exchange('https://acme.my.workfront.com')
    await exchange.exchange('https://acme.my.workfront.com')
    const [first, second] = sent.map((jwt) => decode(jwt.split('.')[1] as string)) as Array<
      Record<string, unknown>
    >
    expect(sent[0]).not.toBe(sent[1])
    expect(first).toMatchObject({ iat: NOW / 1000, exp: NOW / 1000 + 300 })
    expect(first?.jti).toMatch(/^[A-Za-z0-9_-]{22}$/)
    expect(second?.jti).not.toBe(first?.jti)
  })
})

describe('importJWTPrivateKey', () => {
  it(
    'takes a PKCS#8 PEM (with surrounding whitespace and CRLF) or a signing RSA CryptoKey',
    async () => {
      const key = await importJWTPrivateKey(`\n${DEMO_M2M_PRIVATE_KEY.replace(/\n/g, '\r\n')}  `)
      expect(key.type).toBe('private')
      const { privateKey } = await pair
      expect(await importJWTPrivateKey(privateKey)).toBe(privateKey)
    },
    KEYGEN_TIMEOUT,
  )

  const body = DEMO_M2M_PRIVATE_KEY.split('\n').slice(1, -2).join('\n')
  it.each([
    [
      'PKCS#1',
      `-----BEGIN RSA PRIVATE KEY-----\n${body}\n-----END RSA PRIVATE KEY-----`,
      /PKCS#1.*openssl pkcs8/,
    ],
    [
      'encrypted',
      `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${body}\n-----END ENCRYPTED PRIVATE KEY-----`,
      /encrypted/,
    ],
    ['a public key', `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----`, /PKCS#8 PEM/],
    ['empty', '', /PKCS#8 PEM/],
    ['not base64', '-----BEGIN PRIVATE KEY-----\n%%%%\n-----END PRIVATE KEY-----', /PKCS#8 PEM/],
    [
      'truncated DER',
      `-----BEGIN PRIVATE KEY-----\n${body.split('\n').slice(0, 3).join('\n')}\n-----END PRIVATE KEY-----`,
      /not an RSA key/,
    ],
  ])('refuses %s with invalid_private_key, without key material in the error', async (_, pem, message) => {
    const error = await importJWTPrivateKey(pem).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'WorkfrontOAuthError', code: 'invalid_private_key' })
    expect((error as Error).message).toMatch(message)
    for (const text of [(error as Error).message, JSON.stringify(error), String(error)]) {
      expect(text).not.toContain(body.slice(0, 40))
    }
  })

  // Issue #21 finding 8: a 1024-bit key was accepted (RFC 7518 §3.3: 2048 bits or larger).
  it(
    'refuses RSA keys under 2048 bits, as PEM or CryptoKey',
    async () => {
      const small = await crypto.subtle.generateKey(
        { ...RS256, modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]) },
        true,
        ['sign', 'verify'],
      )
      const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', small.privateKey))
      const pem = `-----BEGIN PRIVATE KEY-----\n${btoa(String.fromCharCode(...der))}\n-----END PRIVATE KEY-----`
      for (const key of [pem, small.privateKey]) {
        const error = await importJWTPrivateKey(key).catch((e: unknown) => e)
        expect(error).toMatchObject({ code: 'invalid_private_key' })
        expect((error as Error).message).toMatch(/1024-bit.*at least 2048 bits/)
      }
      expect((await importJWTPrivateKey(DEMO_M2M_PRIVATE_KEY)).algorithm).toMatchObject({
        modulusLength: 2048,
      })
    },
    KEYGEN_TIMEOUT,
  )

  it(
    'refuses CryptoKeys that cannot sign RS256',
    async () => {
      const { publicKey } = await pair
      const ec = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
      const hmac = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      const sha1 = await sha1Pair
      for (const key of [publicKey, ec.privateKey, hmac, sha1.privateKey]) {
        await expect(importJWTPrivateKey(key)).rejects.toMatchObject({ code: 'invalid_private_key' })
      }
    },
    KEYGEN_TIMEOUT,
  )
})
