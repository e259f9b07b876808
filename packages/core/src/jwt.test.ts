import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_USER,
  JWT_EXCHANGE_PATH,
} from '@workfront-oauth/workfront-mock'
import { DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { fromBase64url } from './encoding.ts'
import { importJWTPrivateKey, signWorkfrontJWT } from './jwt.ts'

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
      const token = await signWorkfrontJWT(privateKey, CLAIMS, NOW + 999, 300)
      const [header, payload, signature] = token.split('.') as [string, string, string]
      expect(decode(header)).toEqual({ alg: 'RS256', typ: 'JWT' })
      expect(decode(payload)).toEqual({ iss: DEMO_CUSTOMER_ID, sub: DEMO_USER.id, exp: NOW / 1000 + 300 })
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
          jwt_token: await signWorkfrontJWT(key, CLAIMS, NOW, 300),
        }),
      }),
    )
    expect(response.status).toBe(200)
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
