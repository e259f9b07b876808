import { describe, expect, it } from 'vitest'
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  defaultUsers,
  JWT_EXCHANGE_PATH,
} from './index'
import {
  apiRequest,
  encodeJSON,
  frozenClock,
  HOST,
  jwtExchange,
  M2M,
  M2M_FIELDS,
  signJWT,
  validJWTExchange,
} from './test-support'
import type { JWTExchangeResponse, MockApp } from './types'

const NOW = frozenClock().now()

async function newKeyPair(): Promise<{ privateKey: CryptoKey; pem: string }> {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey))
  const body = btoa(String.fromCharCode(...spki)).replace(/(.{64})/g, '$1\n')
  return {
    privateKey: pair.privateKey,
    pem: `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PUBLIC KEY-----\n`,
  }
}

/** One more key pair, made once: RSA key generation is slow on a busy machine. */
const otherKey = newKeyPair()
/** Tests that wait for `otherKey` may wait long on a loaded machine. */
const KEYGEN_TIMEOUT = 60_000

async function expectRefused(response: Response, status: number, type: string): Promise<void> {
  expect(response.status).toBe(status)
  expect(response.headers.get('cache-control')).toBe('no-store')
  expect(await response.json()).toMatchObject({ statusCode: status, error: true, type })
}

describe('JWT exchange', () => {
  it('exchanges a valid JWT for an API session of the key owner, without a refresh token', async () => {
    const mock = createWorkfrontMock({ clock: frozenClock() })
    const response = await mock.fetch(jwtExchange(await validJWTExchange()))
    expect(response.status).toBe(200)
    expect(response.headers.get('cache-control')).toBe('no-store')
    const body = (await response.json()) as JWTExchangeResponse
    expect(Object.keys(body)).toEqual(['token_type', 'access_token', 'expires_in', 'wid'])
    expect(body).toMatchObject({ token_type: 'sessionID', expires_in: 0 })
    const session = await mock.fetch(apiRequest('v21.0/session', body.access_token))
    expect(await session.json()).toEqual({ data: { userID: DEMO_USER.id, username: DEMO_USER.username } })
    expect(mock.counters().jwtExchanges).toEqual({ calls: 1, succeeded: 1 })
  })

  it(
    'refuses alg none, HS256 and a signature by an unregistered key',
    async () => {
      const mock = createWorkfrontMock({ clock: frozenClock() })
      const none = await signJWT({}, { header: { alg: 'none' }, signature: '' })
      const hs256 = await signJWT({}, { header: { alg: 'HS256', typ: 'JWT' } })
      const stranger = await signJWT({}, { key: (await otherKey).privateKey })
      // A valid signature over other claims.
      const [header, , signature] = (await signJWT()).split('.')
      const tampered = `${header}.${encodeJSON({ iss: DEMO_CUSTOMER_ID, sub: 'x', exp: NOW / 1000 + 60 })}.${signature}`
      for (const token of [none, hs256, stranger, tampered, 'a.b', 'not-a-jwt', '..']) {
        await expectRefused(
          await mock.fetch(jwtExchange({ ...M2M_FIELDS, jwt_token: token })),
          400,
          'INVALID_GRANT',
        )
      }
      expect(mock.counters().jwtExchanges).toEqual({ calls: 7, succeeded: 0 })
    },
    KEYGEN_TIMEOUT,
  )

  it('checks exp (present, not passed, not too far ahead), iss and sub', async () => {
    const mock = createWorkfrontMock({ clock: frozenClock(), jwtMaxLifetimeMs: 600_000 })
    const seconds = Math.floor(NOW / 1000)
    for (const claims of [
      { exp: undefined },
      { exp: '9999999999' },
      { exp: seconds },
      { exp: seconds - 30 },
      { exp: seconds + 601 },
      { iss: 'another-customer' },
      { iss: undefined },
      { sub: 'another-user' },
    ]) {
      await expectRefused(await mock.fetch(jwtExchange(await validJWTExchange(claims))), 400, 'INVALID_GRANT')
    }
    expect((await mock.fetch(jwtExchange(await validJWTExchange({ exp: seconds + 600 })))).status).toBe(200)
  })

  it('authenticates the client: any of its secrets; wrong secret, unknown client or a web app are refused', async () => {
    const mock = createWorkfrontMock({
      clock: frozenClock(),
      apps: [{ ...DEMO_M2M_APP, clientSecrets: ['old-secret', 'new-secret'] } as MockApp],
    })
    for (const secret of ['old-secret', 'new-secret']) {
      const response = await mock.fetch(jwtExchange({ ...(await validJWTExchange()), client_secret: secret }))
      expect(response.status).toBe(200)
    }
    for (const fields of [
      { ...(await validJWTExchange()), client_secret: M2M.secret },
      { ...(await validJWTExchange()), client_secret: '' },
      { ...(await validJWTExchange()), client_id: 'nobody' },
    ]) {
      await expectRefused(await mock.fetch(jwtExchange(fields)), 401, 'INVALID_CLIENT')
    }
    const web = createWorkfrontMock({ clock: frozenClock() })
    await expectRefused(
      await web.fetch(
        jwtExchange({ client_id: 'demo-client', client_secret: 'demo-secret', jwt_token: await signJWT() }),
      ),
      400,
      'UNAUTHORIZED_CLIENT',
    )
  })

  it('takes a form body only, without repeated fields or a header credential', async () => {
    const mock = createWorkfrontMock({ clock: frozenClock() })
    const fields = await validJWTExchange()
    await expectRefused(
      await mock.fetch(
        new Request(`${HOST}${JWT_EXCHANGE_PATH}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(fields),
        }),
      ),
      415,
      'INVALID_REQUEST',
    )
    const repeated = new URLSearchParams(fields)
    repeated.append('jwt_token', fields.jwt_token)
    await expectRefused(await mock.fetch(jwtExchange({}, { body: repeated })), 400, 'INVALID_REQUEST')
    await expectRefused(
      await mock.fetch(
        jwtExchange(fields, {
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: 'Basic eDp5' },
        }),
      ),
      400,
      'INVALID_REQUEST',
    )
    await expectRefused(
      await mock.fetch(jwtExchange({ client_id: M2M.clientId, client_secret: M2M.secret })),
      400,
      'INVALID_REQUEST',
    )
    expect((await mock.fetch(new Request(`${HOST}${JWT_EXCHANGE_PATH}`))).status).toBe(405)
  })

  it(
    'matches sub to the key that signed: a second key signs for its own user only',
    async () => {
      const second = await otherKey
      const sam = defaultUsers()[2]!.id
      const mock = createWorkfrontMock({
        clock: frozenClock(),
        apps: [
          { ...DEMO_M2M_APP, publicKeys: [...DEMO_M2M_APP.publicKeys!, { pem: second.pem, userId: sam }] },
        ],
      })
      const signed = async (claims: Record<string, unknown>) =>
        mock.fetch(
          jwtExchange({ ...M2M_FIELDS, jwt_token: await signJWT(claims, { key: second.privateKey }) }),
        )
      expect((await signed({ sub: sam })).status).toBe(200)
      expect((await signed({})).status).toBe(400)
    },
    KEYGEN_TIMEOUT,
  )

  it('has knobs like the token endpoint: latency, injected 500 and reset, and a session lifetime', async () => {
    const mock = createWorkfrontMock({ clock: frozenClock(), expiresIn: 600 })
    mock.injectFailure({ endpoint: 'jwt', kind: 'status500' })
    expect((await mock.fetch(jwtExchange(await validJWTExchange()))).status).toBe(500)
    mock.injectFailure({ endpoint: 'jwt', kind: 'reset' })
    await expect(mock.fetch(jwtExchange(await validJWTExchange()))).rejects.toThrow('fetch failed')
    const body = (await (
      await mock.fetch(jwtExchange(await validJWTExchange()))
    ).json()) as JWTExchangeResponse
    expect(body.expires_in).toBe(600)
    mock.clock.advance(599_999)
    expect((await mock.fetch(apiRequest('v21.0/session', body.access_token))).status).toBe(200)
    mock.clock.advance(1)
    expect((await mock.fetch(apiRequest('v21.0/session', body.access_token))).status).toBe(401)
    expect(mock.counters().jwtExchanges).toEqual({ calls: 3, succeeded: 1 })
    expect(() => mock.setLatency({ jwt: -1 })).toThrow(RangeError)
  })

  it('refuses apps that mix the types up', () => {
    expect(() => createWorkfrontMock({ apps: [{ ...DEMO_M2M_APP, publicKeys: [] } as MockApp] })).toThrow(
      TypeError,
    )
    expect(() =>
      createWorkfrontMock({
        apps: [{ ...DEMO_M2M_APP, publicKeys: [{ pem: 'nope', userId: 'u' }] } as MockApp],
      }),
    ).toThrow(TypeError)
    expect(() =>
      createWorkfrontMock({
        apps: [
          {
            clientId: 'w',
            clientSecrets: ['s'],
            redirectUris: ['https://a.example/cb'],
            type: 'web',
            publicKeys: DEMO_M2M_APP.publicKeys,
          },
        ],
      }),
    ).toThrow(TypeError)
  })
})
