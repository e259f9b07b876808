/**
 * The JWT exchange as strict as Workfront: the key an admin registers is the certificate made by the command
 * on Workfront's JWT page (generated here, at test time, by the real `openssl`); with `jwtReplay: 'refuse'`
 * a JWT buys one session only (its replay is refused until it expires); optional claims are type-checked.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkfrontMock, DEMO_M2M_APP, DEMO_USER } from './index'
import {
  frozenClock,
  importPrivateKey,
  jwtExchange,
  M2M_FIELDS,
  signJWT,
  validJWTExchange,
} from './test-support'
import type { MockApp, WorkfrontMockOptions } from './types'
import { publicKeyInfo } from './x509'

/** Workfront's command, word for word ("Create a Public Key Certificate" on its JWT flow page). */
const WORKFRONT_COMMAND =
  'openssl req -x509 -sha256 -nodes -newkey rsa:2048 -keyout private.key -out certificate_pub.crt'

/** Runs a command in `cwd`, typing `input` at its prompts; resolves with stdout, rejects on failure. */
function run(command: string[], cwd: string, input = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) =>
      code === 0 ? resolve(stdout) : reject(new Error(`${command.join(' ')} exited ${code}: ${stderr}`)),
    )
    child.stdin.end(input)
  })
}

const pemDER = (pem: string): Uint8Array =>
  Uint8Array.from(atob(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '')), (c) => c.charCodeAt(0))

function m2mApp(pem: string): MockApp {
  return { ...DEMO_M2M_APP, publicKeys: [{ pem, userId: DEMO_USER.id }] } as MockApp
}

describe('a certificate from Workfront’s own openssl command', () => {
  let dir: string
  let certificate: string
  let privateKey: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'workfront-mock-cert-'))
    // The command asks for the certificate's subject: Enter at each of its 7 prompts, as a reader would.
    await run(WORKFRONT_COMMAND.split(' '), dir, '\n'.repeat(7))
    certificate = await readFile(join(dir, 'certificate_pub.crt'), 'utf8')
    privateKey = await readFile(join(dir, 'private.key'), 'utf8')
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('is registered as the app’s key: a JWT signed with private.key gets a session', async () => {
    expect(certificate).toMatch(/^-----BEGIN CERTIFICATE-----\n/)
    const mock = createWorkfrontMock({ clock: frozenClock(), apps: [m2mApp(certificate)] })
    const key = await importPrivateKey(privateKey)
    const response = await mock.fetch(jwtExchange({ ...M2M_FIELDS, jwt_token: await signJWT({}, { key }) }))
    expect(response.status).toBe(200)
    // The demo key, which is not in this certificate, does not verify.
    expect((await mock.fetch(jwtExchange(await validJWTExchange()))).status).toBe(400)
  })

  it('yields the same SubjectPublicKeyInfo as `openssl x509 -pubkey`, and the bare key works too', async () => {
    const publicKey = await run(['openssl', 'x509', '-in', 'certificate_pub.crt', '-pubkey', '-noout'], dir)
    expect(publicKeyInfo(certificate, 'x')).toEqual(pemDER(publicKey))
    expect(publicKeyInfo(publicKey, 'x')).toEqual(pemDER(publicKey))
    const mock = createWorkfrontMock({ clock: frozenClock(), apps: [m2mApp(publicKey)] })
    const key = await importPrivateKey(privateKey)
    const response = await mock.fetch(jwtExchange({ ...M2M_FIELDS, jwt_token: await signJWT({}, { key }) }))
    expect(response.status).toBe(200)
  })

  it('reads a version 1 certificate (no version field) as well', async () => {
    await run(['openssl', 'req', '-new', '-key', 'private.key', '-subj', '/CN=job', '-out', 'job.csr'], dir)
    await run(['openssl', 'x509', '-req', '-in', 'job.csr', '-key', 'private.key', '-out', 'v1.crt'], dir)
    const text = await run(['openssl', 'x509', '-in', 'v1.crt', '-noout', '-text'], dir)
    expect(text).toContain('Version: 1 (0x0)')
    const v1 = await readFile(join(dir, 'v1.crt'), 'utf8')
    expect(publicKeyInfo(v1, 'x')).toEqual(publicKeyInfo(certificate, 'x'))
  })

  it('refuses, when the mock is created, what Workfront could not verify RS256 with', async () => {
    await run(
      [
        'openssl',
        'req',
        '-x509',
        '-nodes',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-subj',
        '/CN=ec',
        '-keyout',
        'ec.key',
        '-out',
        'ec.crt',
      ],
      dir,
    )
    const ec = await readFile(join(dir, 'ec.crt'), 'utf8')
    const lines = certificate.trim().split('\n')
    const truncated = [...lines.slice(0, 4), lines.at(-1)].join('\n')
    const refusals: Array<[string, RegExp]> = [
      [ec, /not an RSA key/],
      [truncated, /not valid DER/],
      [`${certificate}${certificate}`, /no single PEM block/],
      [privateKey, /no single PEM block/],
      ['-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----', /no single PEM block/],
      ['-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----', /not valid DER/],
      ['-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----', /not valid DER/],
    ]
    for (const [pem, message] of refusals) {
      expect(() => createWorkfrontMock({ apps: [m2mApp(pem)] })).toThrow(
        expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
      )
    }
  })
})

describe("jwtReplay: 'refuse' — a JWT is exchanged once", () => {
  const REFUSE: WorkfrontMockOptions = { clock: frozenClock(), jwtReplay: 'refuse' }
  const REPLAY = 'This JWT has already been exchanged; sign a new one.'
  const exchangeTwice = async (options: WorkfrontMockOptions, first: string, second = first) => {
    const mock = createWorkfrontMock(options)
    const a = await mock.fetch(jwtExchange({ ...M2M_FIELDS, jwt_token: first }))
    const b = await mock.fetch(jwtExchange({ ...M2M_FIELDS, jwt_token: second }))
    return { mock, statuses: [a.status, b.status], refusal: b.status === 200 ? null : await b.json() }
  }

  it('refuses the exact replay of a JWT, with or without jti', async () => {
    for (const token of [await signJWT(), await signJWT({ jti: undefined })]) {
      const { mock, statuses, refusal } = await exchangeTwice(REFUSE, token)
      expect(statuses).toEqual([200, 400])
      expect(refusal).toEqual({ statusCode: 400, error: true, type: 'INVALID_GRANT', message: REPLAY })
      expect(mock.counters().jwtExchanges).toEqual({ calls: 2, succeeded: 1 })
    }
  })

  it('takes a new JWT each time: a new jti, or (without jti) other claims', async () => {
    expect((await exchangeTwice(REFUSE, await signJWT(), await signJWT())).statuses).toEqual([200, 200])
    const seconds = Math.floor(frozenClock().now() / 1000)
    const noJTI = (exp: number) => signJWT({ jti: undefined, exp })
    const [first, second] = [await noJTI(seconds + 60), await noJTI(seconds + 61)]
    expect((await exchangeTwice(REFUSE, first, second)).statuses).toEqual([200, 200])
  })

  it('refuses a second JWT with a used jti, even though its other claims differ', async () => {
    const seconds = Math.floor(frozenClock().now() / 1000)
    const first = await signJWT({ jti: 'job-1', exp: seconds + 60 })
    const second = await signJWT({ jti: 'job-1', exp: seconds + 120 })
    expect((await exchangeTwice(REFUSE, first, second)).statuses).toEqual([200, 400])
  })

  it('of concurrent exchanges of one JWT, exactly one gets a session', async () => {
    const mock = createWorkfrontMock(REFUSE)
    const fields = await validJWTExchange()
    const responses = await Promise.all(Array.from({ length: 10 }, () => mock.fetch(jwtExchange(fields))))
    expect(responses.map((r) => r.status).sort()).toEqual([200, ...Array(9).fill(400)])
    expect(mock.counters().jwtExchanges).toEqual({ calls: 10, succeeded: 1 })
  })

  it('remembers a JWT until it expires, then refuses it as expired; reset() forgets it', async () => {
    const mock = createWorkfrontMock(REFUSE)
    const fields = await validJWTExchange({ exp: Math.floor(frozenClock().now() / 1000) + 60 })
    expect((await mock.fetch(jwtExchange(fields))).status).toBe(200)
    mock.reset()
    expect((await mock.fetch(jwtExchange(fields))).status).toBe(200)
    mock.clock.advance(59_999)
    expect(await (await mock.fetch(jwtExchange(fields))).json()).toMatchObject({ message: REPLAY })
    mock.clock.advance(1)
    const expired = await mock.fetch(jwtExchange(fields))
    expect(await expired.json()).toMatchObject({ type: 'INVALID_GRANT', message: 'The JWT has expired.' })
  })

  it("refuses by default; with 'accept', exchanges a JWT as often as it is sent", async () => {
    const token = await signJWT()
    expect((await exchangeTwice({ clock: frozenClock() }, token)).statuses).toEqual([200, 400])
    expect((await exchangeTwice({ ...REFUSE, jwtReplay: 'accept' }, token)).statuses).toEqual([200, 200])
    expect(() => createWorkfrontMock({ jwtReplay: 'never' as 'accept' })).toThrow(
      'jwtReplay must be refuse or accept',
    )
  })
})

describe('the optional claims', () => {
  it('wants jti a non-empty string and iat a number, when they are present (RFC 7519 §4.1)', async () => {
    const mock = createWorkfrontMock({ clock: frozenClock() })
    for (const claims of [{ jti: 7 }, { jti: '' }, { iat: '1767225600' }, { iat: null }]) {
      const response = await mock.fetch(jwtExchange(await validJWTExchange(claims)))
      expect(response.status).toBe(400)
    }
    const plain = await validJWTExchange({ iat: undefined, jti: undefined })
    expect((await mock.fetch(jwtExchange(plain))).status).toBe(200)
  })
})
