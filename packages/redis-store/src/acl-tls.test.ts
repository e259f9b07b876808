/**
 * The store as the README tells operators to run it: over TLS (`rediss://`, a self-signed certificate made
 * with openssl for this run) as an ACL user that may run only the commands the store uses, on its own key
 * and channel prefix. The whole storage contract passes under that rule, and the rule really restricts.
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { storageContract } from '@workfront-oauth/core/testing'
import { freePort } from '@workfront-oauth/test-kit/node'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { redisStore } from './redis-store.ts'
import { closeClient, connect, recommendedOptions, sleep } from './test/support.ts'
import { type RedisServer, startRedisServer } from './testing.ts'

const PREFIX = 'wfo:'
/** The README's rule for the default prefix, word for word (checked below). */
const MINIMAL_ACL_RULE =
  'resetkeys ~wfo:* resetchannels &wfo:* -@all +get +set +getdel +del +hmget +hset +pexpire +persist +pttl +publish +eval +evalsha +subscribe +unsubscribe +ping +info'
const PASSWORD = 'acl-user-password-for-this-run-only'

let dir: string
let server: RedisServer
let admin: Redis
let tlsPort: number
let ca: Buffer
const clients: Redis[] = []

/** A connection as the restricted user, over TLS, verified against this run's certificate. */
function restricted(): Redis {
  const client = new Redis(`rediss://wfo-app:${PASSWORD}@127.0.0.1:${tlsPort}`, {
    ...recommendedOptions,
    tls: { ca },
  })
  client.on('error', () => {})
  clients.push(client)
  return client
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wfo-tls-'))
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')]
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  )
  ca = await readFile(cert)
  tlsPort = await freePort()
  server = await startRedisServer({
    args: [
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--tls-ca-cert-file',
      cert,
      '--tls-auth-clients',
      'no',
    ],
  })
  // The plain port is the test's own back door, for the admin (default user) only.
  admin = connect(server.url, recommendedOptions)
  await admin.call('ACL', 'SETUSER', 'wfo-app', 'reset', 'on', `>${PASSWORD}`, ...MINIMAL_ACL_RULE.split(' '))
})

afterAll(async () => {
  await Promise.all(clients.map((c) => closeClient(c)))
  await closeClient(admin)
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

storageContract(
  'redis over TLS as an ACL user',
  { describe, it, expect, beforeEach, afterEach },
  async () => {
    const store = redisStore({ client: restricted(), keyPrefix: PREFIX })
    // Real time: the TTLs the contract waits out are the real Redis server's.
    return { store, advance: sleep, cleanup: () => store.close() }
  },
)

describe('the minimal ACL rule', () => {
  it('is what the README shows', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    expect(readme).toContain(`ACL SETUSER wfo-app on >… ${MINIMAL_ACL_RULE}`)
  })

  it('really restricts: other commands, other keys and other channels are refused', async () => {
    const client = restricted()
    await expect(client.call('KEYS', '*')).rejects.toThrow(/NOPERM/)
    await expect(client.call('FLUSHALL')).rejects.toThrow(/NOPERM/)
    await expect(client.get('other:key')).rejects.toThrow(/NOPERM/)
    await expect(client.publish('other:channel', 'x')).rejects.toThrow(/NOPERM/)
    expect(await client.set(`${PREFIX}mine`, 'v')).toBe('OK')
  })

  it('skips the eviction-policy check quietly when CONFIG is not allowed', async () => {
    const warnings: unknown[] = []
    const store = redisStore({
      client: restricted(),
      keyPrefix: PREFIX,
      checkEvictionPolicy: false,
      logger: { warn: (message) => warnings.push(message) },
    })
    expect(await store.checkEvictionPolicy()).toEqual({ policy: null, grantsSafe: null })
    expect(warnings).toEqual([])
    await store.close()
  })
})
