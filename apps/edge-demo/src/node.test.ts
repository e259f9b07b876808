/**
 * The Node entry as a process: it starts with no configuration at all (mock mode) and refuses to start on a
 * bad configuration with a message that names the variable and never echoes a secret. Behind a trusted proxy
 * (`TRUST_PROXY`) each client has its own sign-in limit.
 */
import { get } from 'node:http'
import { describe, expect, it } from 'vitest'
import { assertNodeEntryBuilt, childEnv, NODE_ENTRY, startNodeEntry } from './test/node-entry.ts'
import { runToExit } from './test/processes.ts'

const refuse = (vars: Record<string, string>) => {
  assertNodeEntryBuilt()
  return runToExit({ name: 'edge-demo', command: process.execPath, args: [NODE_ENTRY], env: childEnv(vars) })
}

describe('the Node entry', () => {
  it('starts with embedded defaults: the mock in-process, credentials printed, warnings about random secrets', async () => {
    const instance = await startNodeEntry('edge-demo', {})
    try {
      const output = instance.output()
      expect(output).toContain('Workfront the built-in Workfront mock')
      expect(output).toContain('Sign in as demo@acme.test / demo')
      expect(output).toMatch(/warning: SESSION_SECRET is not set/)
      expect(output).toMatch(/warning: TOKEN_ENCRYPTION_KEY is not set/)
      // PORT without PUBLIC_URL: the public URL follows the port.
      expect(output).toContain(`Open      ${instance.url}`)
      const home = await fetch(`${instance.url}/`)
      expect(home.status).toBe(200)
      expect(await home.text()).toContain('Sign in with Workfront')
      const login = await fetch(`${instance.url}/auth/login`, { redirect: 'manual' })
      expect(login.headers.get('location')).toMatch(
        new RegExp(`^${instance.url}/integrations/oauth2/authorize\\?`),
      )
    } finally {
      expect(await instance.stop()).toEqual({ code: 0, signal: null })
    }
  })

  it("WORKFRONT_OAUTH_OTEL=console: the OAuth client's spans are printed, with no secret in them", async () => {
    const instance = await startNodeEntry('edge-demo', { WORKFRONT_OAUTH_OTEL: 'console' })
    try {
      const login = await fetch(`${instance.url}/auth/login`, { redirect: 'manual' })
      const location = new URL(login.headers.get('location') ?? '')
      const state = location.searchParams.get('state') ?? ''
      expect(state.length).toBeGreaterThan(20)
      const output = instance.output()
      expect(output).toContain('OpenTelemetry spans and metrics are printed here')
      expect(output).toContain("name: 'workfront_oauth.login'")
      expect(output).toContain("name: 'workfront_oauth.store transaction.write'")
      expect(output).not.toContain(state)
    } finally {
      expect(await instance.stop()).toEqual({ code: 0, signal: null })
    }
  })

  it('WORKFRONT_OAUTH_OTEL=loud: exits 1 naming the variable', async () => {
    const { code, output } = await refuse({ WORKFRONT_OAUTH_OTEL: 'loud' })
    expect(code).toBe(1)
    expect(output).toContain(
      'edge-demo: configuration error: WORKFRONT_OAUTH_OTEL must be "console" or "off"',
    )
  })

  it('TRUST_PROXY: clients behind the proxy have a sign-in limit each; a forged header from elsewhere escapes nothing', async () => {
    // Sockets from 127.0.0.1 stand for the proxy, which appends each client's address; sockets from
    // 127.0.0.2 for a client that reaches the app directly.
    const instance = await startNodeEntry('edge-demo', { TRUST_PROXY: '127.0.0.1' })
    const login = (from: string, forwardedFor: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const request = get(
          `${instance.url}/auth/login`,
          { localAddress: from, agent: false, headers: { 'x-forwarded-for': forwardedFor } },
          (response) => {
            response.resume()
            resolve(response.statusCode ?? 0)
          },
        )
        request.on('error', reject)
      })
    /** Sign-ins admitted before the first 429 (bounded by attempts, not by time), or null if none came. */
    const admittedUntilRefused = async (from: string, forwardedFor: (i: number) => string) => {
      for (let i = 0; i < 40; i++) {
        const status = await login(from, forwardedFor(i))
        if (status === 429) return i
        expect(status).toBe(302)
      }
      return null
    }
    try {
      // The limit (10 at once, then one every 6 s) counts each client behind the proxy on its own…
      expect(await admittedUntilRefused('127.0.0.1', () => '198.51.100.7')).toBeGreaterThanOrEqual(10)
      expect(await login('127.0.0.1', '198.51.100.8')).toBe(302)
      // …and a client that is not the proxy is counted by its own address, whatever address it writes.
      expect(await admittedUntilRefused('127.0.0.2', (i) => `203.0.113.${i}`)).toBeGreaterThanOrEqual(10)
    } finally {
      expect(await instance.stop()).toEqual({ code: 0, signal: null })
    }
  })

  it('a real Workfront without SESSION_SECRET: a clear startup error', async () => {
    const { code, output } = await refuse({
      WORKFRONT_BASE_URL: 'https://acme.my.workfront.com',
      WORKFRONT_CLIENT_ID: 'acme',
      WORKFRONT_CLIENT_SECRET: 'hunter2-client-secret',
    })
    expect(code).toBe(1)
    expect(output.trim()).toBe(
      'edge-demo: configuration error: SESSION_SECRET: is required with a real Workfront: at least 32 random characters (pnpm secrets makes one)',
    )
    expect(output).not.toContain('hunter2')
  })

  it.each([
    [{ SESSION_SECRET: 'hunter2' }, 'SESSION_SECRET: must be at least 32 characters (it has 7)'],
    [{ TOKEN_ENCRYPTION_KEY: 'hunter2' }, 'TOKEN_ENCRYPTION_KEY: must be 32 random bytes'],
    [{ REDIS_URL: 'redis//:hunter2@localhost' }, 'REDIS_URL: must be a redis:// or rediss:// URL'],
    [{ WORKFRONT_BASE_URL: 'http://acme.my.workfront.com' }, 'WORKFRONT_BASE_URL: must be the org’s origin'],
    [{ PORT: 'eighty' }, 'PORT: must be an integer'],
    [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY: must be the number of proxies'],
  ])('%j: exits 1 naming the variable', async (vars, message) => {
    const { code, output } = await refuse(vars)
    expect(code).toBe(1)
    expect(output).toContain(`edge-demo: configuration error: ${message}`)
    expect(output).not.toContain('hunter2')
    expect(output).not.toMatch(/\n\s+at /) // no stack trace
  })
})
