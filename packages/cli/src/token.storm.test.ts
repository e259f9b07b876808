/**
 * Refresh coordination across processes: 20 `workfront token` processes started together after Workfront
 * expired every session make exactly one refresh (the file store's lock), reuse no refresh token, and all
 * print the one new session. The processes wait at a start line (`test/start-barrier.mjs`) until all 20 are
 * loaded, then run their commands at once: they race for the refresh whatever the machine's load, and no
 * answer is held back (issue #21: a token answer held until the last of 20 processes had started outlasted
 * the first one's 10 s deadline on a loaded machine; Workfront had rotated the token by then, so every other
 * process was told to sign in again). Then the failures a user meets: a refresh Workfront rejects (sign in
 * again), and a Workfront that cannot be reached.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually } from '@workfront-oauth/test-kit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockServer } from './test/support.ts'
import { runCLI, signIn, startMockServer, tempConfigDir } from './test/support.ts'

const PROCESSES = 20
const BARRIER = fileURLToPath(new URL('./test/start-barrier.mjs', import.meta.url))

let server: MockServer
let config: Awaited<ReturnType<typeof tempConfigDir>>
let env: Record<string, string>
/** Sessions Workfront refused during the storm (`GET session` answered 401): how many processes raced. */
let refused = 0

beforeAll(async () => {
  server = await startMockServer(1, {
    async intercept(request, forward) {
      const response = await forward(request)
      if (new URL(request.url).pathname.endsWith('/session') && response.status === 401) refused++
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

/** Starts `count` processes of `args` at the start line; lets them all go once every one is there. */
async function together(count: number, args: string[]): Promise<Awaited<ReturnType<typeof runCLI>>[]> {
  const line = await mkdtemp(join(tmpdir(), 'wf-storm-'))
  try {
    const runs = Array.from({ length: count }, () =>
      runCLI(args, { ...env, NODE_OPTIONS: `--import ${BARRIER}`, WORKFRONT_TEST_BARRIER: line }),
    )
    let exited = false
    const all = Promise.all(runs).finally(() => {
      exited = true
    })
    // No deadline: a process that dies before the line ends the wait (and the test says why). Real time:
    // these are real processes.
    await eventually(
      async () => exited || (await readdir(line)).filter((name) => name.startsWith('ready.')).length >= count,
    )
    await writeFile(join(line, 'go'), '')
    return await all
  } finally {
    await rm(line, { recursive: true, force: true })
  }
}

describe('workfront token, many processes at once', () => {
  it(`refreshes once for ${PROCESSES} concurrent processes after the session expired`, async () => {
    const before = (await runCLI(['token'], env)).stdout.trim()
    server.mock.expireAllSessions()
    server.mock.resetCounters()
    refused = 0

    const results = await together(PROCESSES, ['token'])

    expect(results.map((r) => ({ code: r.code, stderr: r.stderr }))).toEqual(
      Array(PROCESSES).fill({ code: 0, stderr: '' }),
    )
    // Every process that saw its session refused joined the one refresh (or read its result).
    expect(refused).toBeGreaterThanOrEqual(1)
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
