/**
 * Refresh coordination across processes: 20 `workfront token` processes started together after Workfront
 * expired every session make exactly one refresh (the file store's lock), reuse no refresh token, and all
 * print the one new session. The token endpoint answers only once all 20 have seen their session refused,
 * so every process really races for the refresh whatever the machine's load. Then the failures a user meets: a refresh Workfront rejects (sign in again),
 * and a Workfront that cannot be reached.
 */
import { TOKEN_PATH } from '@workfront-oauth/workfront-mock'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockServer } from './test/support.ts'
import { runCLI, signIn, startMockServer, tempConfigDir } from './test/support.ts'

const PROCESSES = 20

let server: MockServer
/** Holds the refresh until every process has been told its session expired, so all of them race for it. */
let gate: { rejected: number; open(): void; opened: Promise<void> } | undefined
let config: Awaited<ReturnType<typeof tempConfigDir>>
let env: Record<string, string>

beforeAll(async () => {
  server = await startMockServer(1, {
    async intercept(request, forward) {
      const path = new URL(request.url).pathname
      if (gate && path === TOKEN_PATH) await gate.opened
      const response = await forward(request)
      if (gate && path.endsWith('/session') && response.status === 401 && ++gate.rejected === PROCESSES)
        gate.open()
      return response
    },
  })
  config = await tempConfigDir()
  env = { WORKFRONT_CONFIG_DIR: config.dir }
  const login = await signIn(env, server, { port: server.ports[0] as number })
  expect(login.code).toBe(0)
})

afterAll(async () => {
  await server?.close()
  await config?.remove()
})

describe('workfront token, many processes at once', () => {
  it(`refreshes once for ${PROCESSES} concurrent processes after the session expired`, async () => {
    const before = (await runCLI(['token'], env)).stdout.trim()
    server.mock.expireAllSessions()
    server.mock.resetCounters()
    let open = (): void => undefined
    const opened = new Promise<void>((resolve) => {
      open = resolve
    })
    gate = { rejected: 0, open, opened }

    const results = await Promise.all(Array.from({ length: PROCESSES }, () => runCLI(['token'], env)))
    gate = undefined

    expect(results.map((r) => r.code)).toEqual(Array(PROCESSES).fill(0))
    const printed = new Set(results.map((r) => r.stdout.trim()))
    expect(printed.size).toBe(1)
    const [after] = printed as Set<string>
    expect(after).toMatch(/^[0-9a-f]{32}$/)
    expect(after).not.toBe(before)
    const counters = server.mock.counters()
    expect(counters.tokenCalls.refresh_token).toBe(1)
    expect(counters.refreshReuses).toBe(0)
    const session = await fetch(`${server.origin}/attask/api/v21.0/session`, {
      headers: { sessionID: after as string },
    })
    expect(session.status).toBe(200)
  })

  it('exits 4 with "sign in again" when Workfront rejects the refresh token', async () => {
    // Workfront forgets every grant: the session and the refresh token are both refused.
    server.mock.reset()
    const result = await runCLI(['token'], env)
    expect(result.code).toBe(4)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('Sign in again: workfront login')
    const json = await runCLI(['whoami', '--json'], env)
    expect(json.code).toBe(4)
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: 'reauthorization_required' } })
  })

  it('exits 5 when Workfront cannot be reached', async () => {
    await server.close()
    const result = await runCLI(['api', 'proj/search'], env)
    expect(result.code).toBe(5)
    expect(result.stderr).toContain('Check the network')
  })
})
