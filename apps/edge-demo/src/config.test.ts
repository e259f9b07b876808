import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { encryptionKeyId } from '@workfront-oauth/core'
import { WORKFRONT_HOST_PATTERNS } from '@workfront-oauth/core/adapters'
import { describe, expect, it } from 'vitest'
import type { DemoEnv } from './config.ts'
import { base64url, ConfigError, parseConfig } from './config.ts'
import { NODE_ONLY_VARIABLES, WORKER_VARIABLES } from './dev/contract.ts'

const KEY = 'S4MRQoa4FB_HuYpFB60jIyoFUEmpXVDbMbBHRqcUZPk'
const OLD_KEY = 'USTG2hHoKeHjkxGhHa0OP3Rg7l-65I3eEFdZX47xlf0'
const SESSION_SECRET = '8gTl7jomEtwR6s2tn-rWAZP2Sr9EbhPIvtWih0VrAOfebyb4'
const CLIENT_SECRET = 'client-secret-never-to-be-echoed'
const REAL: DemoEnv = {
  WORKFRONT_BASE_URL: 'https://acme.my.workfront.com',
  WORKFRONT_CLIENT_ID: 'acme-client',
  WORKFRONT_CLIENT_SECRET: CLIENT_SECRET,
  SESSION_SECRET,
  TOKEN_ENCRYPTION_KEY: KEY,
}

/** The ConfigError that `env` produces. */
function failure(env: DemoEnv): ConfigError {
  try {
    parseConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('parseConfig accepted the environment')
}

describe('mock mode (nothing configured)', () => {
  it('has embedded defaults: the mock, demo-client/demo-secret, 127.0.0.1:8787', () => {
    const config = parseConfig({})
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8787,
      publicUrl: 'http://127.0.0.1:8787',
      redirectUri: 'http://127.0.0.1:8787/auth/callback',
      workfront: { mode: 'mock' },
      clientId: 'demo-client',
      clientSecret: 'demo-secret',
      clientAuth: 'post',
      apiVersion: undefined,
      redisUrl: undefined,
    })
  })

  it('generates a random session secret and encryption key per process, with warnings', () => {
    const a = parseConfig({})
    const b = parseConfig({})
    expect(a.sessionSecrets[0]?.length).toBeGreaterThanOrEqual(32)
    expect(a.sessionSecrets).not.toEqual(b.sessionSecrets)
    expect(a.tokenEncryptionKeys).not.toEqual(b.tokenEncryptionKeys)
    // The generated key is one the parser itself accepts.
    expect(
      parseConfig({ TOKEN_ENCRYPTION_KEY: a.tokenEncryptionKeys[0] as string }).tokenEncryptionKeys,
    ).toEqual(a.tokenEncryptionKeys)
    expect(a.warnings).toEqual([
      expect.stringMatching(/^SESSION_SECRET is not set: using a random one/),
      expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is not set: using a random key/),
    ])
    expect(a.warnings.join()).not.toContain('REDIS_URL')
  })

  it('warns that random secrets are not shared when REDIS_URL is set', () => {
    const config = parseConfig({ REDIS_URL: 'redis://127.0.0.1:6390' })
    expect(config.redisUrl).toBe('redis://127.0.0.1:6390')
    const secrets = config.warnings.filter((w) => /^(SESSION_SECRET|TOKEN_ENCRYPTION_KEY) is not set/.test(w))
    expect(secrets).toHaveLength(2)
    for (const warning of secrets) expect(warning).toContain('Other instances on the same REDIS_URL')
  })

  it('warns that per-instance mocks sign users out when REDIS_URL shares the sessions', () => {
    const warning =
      /^REDIS_URL with the built-in Workfront mock: each instance .* signed out .* `pnpm demo:multi`/
    expect(parseConfig({ REDIS_URL: 'redis://127.0.0.1:6390' }).warnings).toContainEqual(
      expect.stringMatching(warning),
    )
    // One shared Workfront (a real org, or one mock server): nothing to warn about.
    const shared = parseConfig({
      REDIS_URL: 'redis://127.0.0.1:6390',
      WORKFRONT_BASE_URL: 'http://127.0.0.1:4010',
      WORKFRONT_CLIENT_ID: 'demo-client',
      SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    })
    expect(shared.warnings.join()).not.toContain('built-in Workfront mock')
    expect(parseConfig({}).warnings.join()).not.toContain('built-in Workfront mock')
  })

  it('WORKFRONT_API_VERSION takes a version or the Default API', () => {
    expect(parseConfig({ WORKFRONT_API_VERSION: 'v22.0' }).apiVersion).toBe('v22.0')
    expect(parseConfig({ WORKFRONT_API_VERSION: 'default' }).apiVersion).toBe('default')
  })

  it('PORT moves the default PUBLIC_URL', () => {
    expect(parseConfig({ PORT: '9000' })).toMatchObject({ port: 9000, publicUrl: 'http://127.0.0.1:9000' })
  })

  it('registers a configured client in the mock, as a public PKCE client without a secret', () => {
    const config = parseConfig({ WORKFRONT_CLIENT_ID: 'my-spa' })
    expect(config).toMatchObject({ workfront: { mode: 'mock' }, clientId: 'my-spa', clientSecret: undefined })
    expect(config.warnings[0]).toMatch(/WORKFRONT_CLIENT_ID is set but WORKFRONT_BASE_URL is not/)
  })

  it('treats empty values as unset, and ignores non-string bindings', () => {
    const config = parseConfig({ PORT: '', WORKFRONT_BASE_URL: ' ', SESSION_SECRET: '', KV: { get() {} } })
    expect(config).toMatchObject({ port: 8787, workfront: { mode: 'mock' } })
  })
})

describe('a real Workfront', () => {
  it('one org: WORKFRONT_BASE_URL and the client', () => {
    const config = parseConfig({
      ...REAL,
      PUBLIC_URL: 'https://demo.example.com/',
      WORKFRONT_CLIENT_AUTH: 'basic',
    })
    expect(config).toMatchObject({
      publicUrl: 'https://demo.example.com',
      redirectUri: 'https://demo.example.com/auth/callback',
      workfront: { mode: 'fixed', baseUrl: 'https://acme.my.workfront.com' },
      clientId: 'acme-client',
      clientSecret: CLIENT_SECRET,
      clientAuth: 'basic',
      sessionSecrets: [SESSION_SECRET],
      tokenEncryptionKeys: [KEY],
      tokenEncryptionRetiredKeyIds: [],
      mockBanner: false,
      warnings: [],
    })
  })

  it('a public client (no secret) uses PKCE', () => {
    const { WORKFRONT_CLIENT_SECRET: _, ...env } = REAL
    expect(parseConfig(env).clientSecret).toBeUndefined()
  })

  it('http: only for a loopback Workfront (a local mock)', () => {
    expect(parseConfig({ ...REAL, WORKFRONT_BASE_URL: 'http://127.0.0.1:4010' }).workfront).toEqual({
      mode: 'fixed',
      baseUrl: 'http://127.0.0.1:4010',
    })
    expect(failure({ ...REAL, WORKFRONT_BASE_URL: 'http://acme.my.workfront.com' }).variable).toBe(
      'WORKFRONT_BASE_URL',
    )
    expect(failure({ ...REAL, WORKFRONT_BASE_URL: 'https://acme.my.workfront.com/attask' }).variable).toBe(
      'WORKFRONT_BASE_URL',
    )
    expect(failure({ ...REAL, WORKFRONT_BASE_URL: 'acme' }).variable).toBe('WORKFRONT_BASE_URL')
  })

  it('requires the client ID and a session secret', () => {
    const { WORKFRONT_CLIENT_ID: _, ...noClient } = REAL
    expect(failure(noClient).message).toMatch(/^WORKFRONT_CLIENT_ID: is required/)
    const { SESSION_SECRET: __, ...noSecret } = REAL
    expect(failure(noSecret).message).toMatch(/^SESSION_SECRET: is required with a real Workfront/)
  })

  it('still generates an encryption key when none is given, with a warning', () => {
    const { TOKEN_ENCRYPTION_KEY: _, ...env } = REAL
    const config = parseConfig(env)
    expect(config.tokenEncryptionKeys).toEqual([expect.stringMatching(/^[A-Za-z0-9_-]{43}$/)])
    expect(config.warnings).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is not set/)])
    // A key of this process alone: what another key sealed is a previous process's, gone for good.
    expect(config.tokenEncryptionRetiredKeyIds).toBe('*')
  })

  it('multi-tenant: "true" for Workfront’s public hosts, or a list of patterns', () => {
    const { WORKFRONT_BASE_URL: _, ...env } = REAL
    expect(parseConfig({ ...env, WORKFRONT_MULTI_TENANT: 'true' }).workfront).toEqual({
      mode: 'multiTenant',
      allowedHosts: WORKFRONT_HOST_PATTERNS,
    })
    expect(
      parseConfig({ ...env, WORKFRONT_MULTI_TENANT: '*.my.workfront.com, acme.preview.workfront.com' })
        .workfront,
    ).toEqual({ mode: 'multiTenant', allowedHosts: ['*.my.workfront.com', 'acme.preview.workfront.com'] })
    expect(failure({ ...env, WORKFRONT_MULTI_TENANT: '*.my.workfront.com,https://evil' }).message).toContain(
      '"https://evil" is not one',
    )
    expect(failure({ ...env, WORKFRONT_MULTI_TENANT: '*' }).variable).toBe('WORKFRONT_MULTI_TENANT')
    expect(failure({ ...REAL, WORKFRONT_MULTI_TENANT: 'true' }).message).toMatch(/not both/)
  })
})

describe('SESSION_STORE', () => {
  it('is absent by default (each entry has its own), redis with REDIS_URL, or as chosen', () => {
    expect(parseConfig({}).sessionStore).toBeUndefined()
    expect(parseConfig({ REDIS_URL: 'redis://127.0.0.1:6379' }).sessionStore).toBe('redis')
    expect(parseConfig({ SESSION_STORE: 'memory' }).sessionStore).toBe('memory')
    expect(parseConfig({ SESSION_STORE: 'durable-object' }).sessionStore).toBe('durable-object')
  })
})

describe('TRUST_PROXY', () => {
  it('trusts no proxy by default, a number of hops, or a list of addresses and ranges', () => {
    expect(parseConfig({}).trustProxy).toEqual({})
    expect(parseConfig({ TRUST_PROXY: '1' }).trustProxy).toEqual({ hops: 1 })
    expect(parseConfig({ TRUST_PROXY: ' 10.0.0.0/8, fd00::/8 ,192.0.2.7' }).trustProxy).toEqual({
      proxies: ['10.0.0.0/8', 'fd00::/8', '192.0.2.7'],
    })
  })

  it('names the entry at fault', () => {
    expect(() => parseConfig({ TRUST_PROXY: '10.0.0.1/8' })).toThrow(
      /^TRUST_PROXY: must be the number of proxies .*; Trusted proxy "10\.0\.0\.1\/8": .*did you mean 10\.0\.0\.0\/8\?/,
    )
  })
})

describe('malformed values: a clear error naming the variable', () => {
  it.each([
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: ',' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '1,loopback' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '99999999999999999999' }, 'TRUST_PROXY'],
    [{ PORT: '0' }, 'PORT'],
    [{ PORT: '65536' }, 'PORT'],
    [{ PORT: '80a' }, 'PORT'],
    [{ HOST: 'bad host' }, 'HOST'],
    [{ PUBLIC_URL: 'not a url' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'http://demo.example.com' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://demo.example.com/app' }, 'PUBLIC_URL'],
    [{ PUBLIC_URL: 'https://demo.example.com/?x=1' }, 'PUBLIC_URL'],
    [{ WORKFRONT_CLIENT_AUTH: 'header' }, 'WORKFRONT_CLIENT_AUTH'],
    [{ WORKFRONT_CLIENT_ID: 'spa', WORKFRONT_CLIENT_AUTH: 'basic' }, 'WORKFRONT_CLIENT_AUTH'],
    [{ WORKFRONT_CLIENT_ID: 'has space' }, 'WORKFRONT_CLIENT_ID'],
    [{ WORKFRONT_API_VERSION: '21' }, 'WORKFRONT_API_VERSION'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ SESSION_STORE: 'kv' }, 'SESSION_STORE'],
    [{ SESSION_STORE: 'redis' }, 'SESSION_STORE'],
    [{ SESSION_STORE: 'memory', REDIS_URL: 'redis://127.0.0.1:6379' }, 'SESSION_STORE'],
    [{ SESSION_SECRET: 'too-short' }, 'SESSION_SECRET'],
    [{ TOKEN_ENCRYPTION_KEY: 'too-short' }, 'TOKEN_ENCRYPTION_KEY'],
    [{ TOKEN_ENCRYPTION_KEY: `${KEY}A` }, 'TOKEN_ENCRYPTION_KEY'],
    [{ TOKEN_ENCRYPTION_KEY: KEY.replace(/.$/, 'B') }, 'TOKEN_ENCRYPTION_KEY'],
    [{ TOKEN_ENCRYPTION_KEY: base64url(new Uint8Array(16)) }, 'TOKEN_ENCRYPTION_KEY'],
  ] as const)('%j → %s', (env, variable) => {
    const error = failure(env)
    expect(error).toBeInstanceOf(ConfigError)
    expect(error.name).toBe('ConfigError')
    expect(error.variable).toBe(variable)
    expect(error.message.startsWith(`${variable}: `)).toBe(true)
  })

  it('never echoes a secret', () => {
    const secrets = {
      SESSION_SECRET: 'hunter2-short',
      TOKEN_ENCRYPTION_KEY: 'hunter2-not-a-key',
      REDIS_URL: 'https://default:hunter2@redis.example.com:6380',
    }
    for (const [name, value] of Object.entries(secrets)) {
      const error = failure({ ...REAL, [name]: value })
      expect(error.variable).toBe(name)
      expect(error.message).not.toContain('hunter2')
      expect(String(error)).not.toContain('hunter2')
    }
    // A configuration that fails on another variable does not leak the secrets it holds either.
    const error = failure({ ...REAL, WORKFRONT_CLIENT_AUTH: 'nope' })
    expect(error.message).not.toContain(CLIENT_SECRET)
    expect(error.message).not.toContain(SESSION_SECRET)
  })
})

// Issue #12 finding 3: with PUBLIC_URL=https://… and no Workfront, the demo served its mock to the public.
describe('mock mode is never implicit on a public address', () => {
  it('refuses a non-loopback PUBLIC_URL without a Workfront, naming the variables', () => {
    const error = failure({ PUBLIC_URL: 'https://demo.example.com', REDIS_URL: 'redis://10.0.0.5:6379' })
    expect(error.variable).toBe('WORKFRONT_BASE_URL')
    expect(error.message).toContain('WORKFRONT_MULTI_TENANT')
    expect(error.message).toContain('WORKFRONT_MOCK=on')
    expect(error.message).toContain('PUBLIC_URL')
  })

  it('serves the mock publicly only when WORKFRONT_MOCK=on, with the banner', () => {
    const config = parseConfig({ PUBLIC_URL: 'https://demo.example.com', WORKFRONT_MOCK: 'on' })
    expect(config).toMatchObject({ workfront: { mode: 'mock' }, mockBanner: true })
    expect(parseConfig({}).mockBanner).toBe(false)
    expect(parseConfig({ WORKFRONT_MOCK: 'on' }).mockBanner).toBe(true)
  })

  it('WORKFRONT_MOCK=off needs a Workfront; "on" with one is a contradiction; other values are refused', () => {
    expect(failure({ WORKFRONT_MOCK: 'off' }).variable).toBe('WORKFRONT_BASE_URL')
    expect(failure({ ...REAL, WORKFRONT_MOCK: 'on' }).variable).toBe('WORKFRONT_MOCK')
    expect(failure({ WORKFRONT_MOCK: 'yes' }).variable).toBe('WORKFRONT_MOCK')
    expect(parseConfig({ ...REAL, WORKFRONT_MOCK: 'off' }).workfront.mode).toBe('fixed')
  })
})

// Issue #12 finding 4: one key, so keys could not be rotated.
describe('key and secret rotation', () => {
  it('takes comma-separated lists: the first signs or encrypts, all verify or decrypt', () => {
    const config = parseConfig({
      ...REAL,
      SESSION_SECRET: `${SESSION_SECRET},${SESSION_SECRET.split('').reverse().join('')}`,
      TOKEN_ENCRYPTION_KEY: `${KEY},${OLD_KEY}`,
    })
    expect(config.sessionSecrets).toHaveLength(2)
    expect(config.sessionSecrets[0]).toBe(SESSION_SECRET)
    expect(config.tokenEncryptionKeys).toEqual([KEY, OLD_KEY])
  })

  it('takes the ids of retired keys, and refuses what is not an id (a key, by mistake)', async () => {
    const id = await encryptionKeyId(OLD_KEY)
    expect(
      parseConfig({ ...REAL, TOKEN_ENCRYPTION_RETIRED_KEY_IDS: ` ${id}, 2026-01 ` })
        .tokenEncryptionRetiredKeyIds,
    ).toEqual([id, '2026-01'])
    const error = failure({ ...REAL, TOKEN_ENCRYPTION_RETIRED_KEY_IDS: `${id},${OLD_KEY}+` })
    expect(error.variable).toBe('TOKEN_ENCRYPTION_RETIRED_KEY_IDS')
    expect(error.message).not.toContain(OLD_KEY)
  })

  it('names the bad value in a list, and refuses a key listed twice', () => {
    expect(failure({ ...REAL, TOKEN_ENCRYPTION_KEY: `${KEY},nope` }).message).toMatch(
      /^TOKEN_ENCRYPTION_KEY: the 2nd value must be 32 random bytes/,
    )
    expect(failure({ ...REAL, SESSION_SECRET: `${SESSION_SECRET},short` }).message).toMatch(
      /^SESSION_SECRET: the 2nd value must be at least 32 characters/,
    )
    expect(failure({ ...REAL, TOKEN_ENCRYPTION_KEY: `${KEY},${KEY}` }).message).toContain('twice')
  })
})

// Issue #12 finding 5: 32 × "a" and an all-zero key were accepted with a real Workfront.
describe('weak secrets', () => {
  const zeroKey = base64url(new Uint8Array(32))
  it.each([
    ['SESSION_SECRET', 'a'.repeat(32), 'one character repeated'],
    ['SESSION_SECRET', 'abcabcabcabcabcabcabcabcabcabcabc', 'only 3 different characters'],
    ['SESSION_SECRET', '0123456789abcdefghijklmnopqrstuvwxyz', 'a regular sequence'],
    ['SESSION_SECRET', 'change-me-to-a-long-random-value-please', 'placeholder'],
    ['SESSION_SECRET', 'my-super-secret-session-key-1234567', 'placeholder'],
    ['TOKEN_ENCRYPTION_KEY', zeroKey, 'one character repeated'],
    ['TOKEN_ENCRYPTION_KEY', 'A'.repeat(43), 'one character repeated'],
    ['TOKEN_ENCRYPTION_KEY', base64url(new Uint8Array(32).map((_, i) => i * 7 + 1)), 'a regular sequence'],
    ['TOKEN_ENCRYPTION_KEY', base64url(new Uint8Array(32).map((_, i) => i % 4)), 'only 4 different'],
  ])(
    'a real Workfront refuses %s = %s, naming it and the command that makes a good one',
    (variable, value, why) => {
      const error = failure({ ...REAL, [variable]: value })
      expect(error.variable).toBe(variable)
      expect(error.message).toContain(why)
      expect(error.message).toContain('`pnpm secrets`')
      expect(error.message).not.toContain(value)
    },
  )

  it('the mock (or a Workfront on loopback) only warns', () => {
    const mock = parseConfig({ SESSION_SECRET: 'a'.repeat(32), TOKEN_ENCRYPTION_KEY: zeroKey })
    expect(mock.warnings.filter((w) => w.includes('is weak'))).toHaveLength(2)
    const local = parseConfig({
      ...REAL,
      WORKFRONT_BASE_URL: 'http://127.0.0.1:4010',
      SESSION_SECRET: 'a'.repeat(40),
    })
    expect(local.warnings).toEqual([expect.stringMatching(/^SESSION_SECRET: is weak/)])
  })

  it('multi-tenant is a real Workfront too', () => {
    const { WORKFRONT_BASE_URL: _, ...env } = REAL
    expect(failure({ ...env, WORKFRONT_MULTI_TENANT: 'true', TOKEN_ENCRYPTION_KEY: zeroKey }).variable).toBe(
      'TOKEN_ENCRYPTION_KEY',
    )
  })

  it('accepts what `pnpm secrets` prints, run after run', async () => {
    const script = fileURLToPath(new URL('../scripts/secrets.mjs', import.meta.url))
    const seen = new Set<string>()
    for (let i = 0; i < 3; i++) {
      const output = execFileSync(process.execPath, [script], { encoding: 'utf8' })
      const secrets = Object.fromEntries([...output.matchAll(/^([A-Z_]+)=(.+)$/gm)].map((m) => [m[1], m[2]]))
      expect(Object.keys(secrets)).toEqual(['SESSION_SECRET', 'TOKEN_ENCRYPTION_KEY'])
      expect(parseConfig({ ...REAL, ...secrets }).warnings).toEqual([])
      expect(output).toContain(
        `id, which stored records name: ${await encryptionKeyId(secrets.TOKEN_ENCRYPTION_KEY)}`,
      )
      seen.add(output)
    }
    expect(seen.size).toBe(3)
  })

  it('`pnpm secrets --key-id` prints the ids the core gives the keys', async () => {
    const script = fileURLToPath(new URL('../scripts/secrets.mjs', import.meta.url))
    const output = execFileSync(process.execPath, [script, '--key-id', `${KEY},${OLD_KEY}`], {
      encoding: 'utf8',
    })
    expect(output.trim()).toBe(`${await encryptionKeyId(KEY)},${await encryptionKeyId(OLD_KEY)}`)
  })
})

describe('.env.example', () => {
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
  const entries = [...example.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!] as const)

  it('lists every variable of the contract, and nothing else', () => {
    expect(entries.map(([name]) => name).sort()).toEqual([...WORKER_VARIABLES, ...NODE_ONLY_VARIABLES].sort())
  })

  it('starts the demo as it is (every value empty: the built-in mock)', () => {
    expect(parseConfig(Object.fromEntries(entries)).workfront).toEqual({ mode: 'mock' })
  })
})
