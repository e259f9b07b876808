import { readFileSync } from 'node:fs'
import { WORKFRONT_HOST_PATTERNS } from '@workfront-oauth/core'
import { describe, expect, it } from 'vitest'
import type { DemoEnv } from './config.ts'
import { base64url, ConfigError, parseConfig } from './config.ts'
import { WORKER_VARIABLES } from './dev/contract.ts'

const KEY = base64url(new Uint8Array(32).map((_, i) => i * 7 + 1))
const SESSION_SECRET = 'session-secret-that-is-long-enough-0123456789'
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
    expect(a.sessionSecret.length).toBeGreaterThanOrEqual(32)
    expect(a.sessionSecret).not.toBe(b.sessionSecret)
    expect(a.tokenEncryptionKey).not.toBe(b.tokenEncryptionKey)
    // The generated key is one the parser itself accepts.
    expect(parseConfig({ TOKEN_ENCRYPTION_KEY: a.tokenEncryptionKey }).tokenEncryptionKey).toBe(
      a.tokenEncryptionKey,
    )
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
      sessionSecret: SESSION_SECRET,
      tokenEncryptionKey: KEY,
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
    expect(config.tokenEncryptionKey).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(config.warnings).toEqual([expect.stringMatching(/^TOKEN_ENCRYPTION_KEY is not set/)])
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

describe('malformed values: a clear error naming the variable', () => {
  it.each([
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

describe('.env.example', () => {
  const example = readFileSync(new URL('../.env.example', import.meta.url), 'utf8')
  const entries = [...example.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!] as const)

  it('lists every variable of the contract, and nothing else', () => {
    expect(entries.map(([name]) => name).sort()).toEqual([...WORKER_VARIABLES, 'PORT', 'HOST'].sort())
  })

  it('starts the demo as it is (every value empty: the built-in mock)', () => {
    expect(parseConfig(Object.fromEntries(entries)).workfront).toEqual({ mode: 'mock' })
  })
})
