/**
 * A refresh whose rotated tokens the file store refuses: the CLI waits (bounded) for the core's background
 * writes before it exits. The store fails for real: its temporary-file directory is replaced by a plain file
 * as Workfront answers the refresh, so every write fails with ENOTDIR (a read-only directory would not stop
 * root), and is put back while the CLI waits. The built `workfront` runs in child processes against the
 * Workfront mock (refresh-token rotation on), which counts any reuse of a replaced refresh token.
 */
import { spawn } from 'node:child_process'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TOKEN_PATH } from '@workfront-oauth/workfront-mock'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Finished, MockServer } from './test/support.ts'
import { BIN, runCLI, signIn, startCLI, startMockServer, tempConfigDir } from './test/support.ts'

let server: MockServer
let config: Awaited<ReturnType<typeof tempConfigDir>>
let env: Record<string, string>
/** Break the store when Workfront answers the next refresh. */
let breakOnRefresh = false
/** The access and refresh tokens of every refresh answer: none may appear where it should not. */
let issued: Array<{ accessToken: string; refreshToken: string }> = []

const storeDir = (): string => join(config.dir, 'store')

async function breakStore(): Promise<void> {
  await rm(join(storeDir(), 'tmp'), { recursive: true, force: true })
  await writeFile(join(storeDir(), 'tmp'), 'not a directory\n')
}

async function repairStore(): Promise<void> {
  await rm(join(storeDir(), 'tmp'), { force: true })
  await mkdir(join(storeDir(), 'tmp'), { mode: 0o700 })
}

beforeAll(async () => {
  server = await startMockServer(1, {
    async intercept(request, forward) {
      const refresh =
        new URL(request.url).pathname === TOKEN_PATH &&
        new URLSearchParams(await request.clone().text()).get('grant_type') === 'refresh_token'
      if (refresh && breakOnRefresh) await breakStore()
      const response = await forward(request)
      if (refresh && response.ok) {
        const body = (await response.clone().json()) as { access_token: string; refresh_token: string }
        issued.push({ accessToken: body.access_token, refreshToken: body.refresh_token })
      }
      return response
    },
  })
})

beforeEach(async () => {
  config = await tempConfigDir()
  env = { WORKFRONT_CONFIG_DIR: config.dir }
  expect((await signIn(env, server, { port: server.ports[0] as number })).code).toBe(0)
  // The next command's session is refused: it refreshes, and the store refuses what the refresh returned.
  server.mock.expireAllSessions()
  server.mock.resetCounters()
  issued = []
  breakOnRefresh = true
})

afterEach(async () => {
  breakOnRefresh = false
  await config?.remove()
})

afterAll(async () => {
  await server?.close()
})

/** No token of the refresh in `text`. */
function expectNoSecret(text: string): void {
  for (const { accessToken, refreshToken } of issued) {
    expect(text).not.toContain(accessToken)
    expect(text).not.toContain(refreshToken)
  }
}

/** The rotated grant is the one on disk: the next process reads it, and refreshes with its refresh token. */
async function expectRotatedGrantStored(printed: string): Promise<void> {
  const stored = await runCLI(['token', '--no-check'], env)
  expect(stored).toMatchObject({ code: 0, stdout: printed })
  breakOnRefresh = false
  server.mock.expireAllSessions()
  const next = await runCLI(['token'], env)
  expect(next.code).toBe(0)
  expect(server.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 2 }, refreshReuses: 0 })
}

describe('a refreshed session the store refuses at first', () => {
  it('is saved before the CLI exits once the store takes it again (exit 0)', async () => {
    const running = startCLI(['token'], { ...env, WORKFRONT_SAVE_TIMEOUT: '600' })
    running.child.stdin?.end()
    // The core says it holds the tokens; the command prints the session; then, while the CLI waits (a piped
    // stderr shows no progress line), the store comes back.
    await running.waitForStderr(/keeping them in this process and retrying/)
    await running.waitForStdout(/^[0-9a-f]{32}\n$/)
    await repairStore()
    const done = await running.finished
    expect(done.code).toBe(0)
    expect(issued).toHaveLength(1)
    expect(done.stdout).toBe(`${issued[0]?.accessToken}\n`)
    expect(done.stderr).not.toContain('could not be saved')
    expectNoSecret(done.stderr)
    await expectRotatedGrantStored(done.stdout)
  })

  it('shows a progress line on a terminal while it waits', async () => {
    const terminal = inTerminal(['token'], { ...env, WORKFRONT_SAVE_TIMEOUT: '600' })
    await terminal.waitFor(`Saving the refreshed session to ${storeDir()}…`)
    await repairStore()
    const done = await terminal.finished
    expect(done.code).toBe(0)
    expect(done.stdout).toContain(`${issued[0]?.accessToken}\r\n`)
    expect(done.stdout).not.toContain('could not be saved')
    await expectRotatedGrantStored(`${issued[0]?.accessToken}\n`)
  })
})

describe('a refreshed session the store keeps refusing', () => {
  it('token --json: prints the session, then exits 7 with a JSON error naming the directory', async () => {
    const result = await runCLI(['token', '--json'], { ...env, WORKFRONT_SAVE_TIMEOUT: '0.2' })
    expect(result.code).toBe(7)
    expect(issued).toHaveLength(1)
    const printed = JSON.parse(result.stdout) as { sessionID: string }
    expect(printed.sessionID).toBe(issued[0]?.accessToken)
    // What was printed works now.
    const session = await fetch(`${server.origin}/attask/api/v21.0/session`, {
      headers: { sessionID: printed.sessionID },
    })
    expect(session.status).toBe(200)
    expect(JSON.parse(result.stderr)).toEqual({
      error: {
        code: 'session_not_saved',
        message: expect.stringContaining(`could not be saved to ${storeDir()}`),
        hint: 'Check that the directory can be written to (permissions, free space), then sign in again: workfront login',
      },
    })
    expectNoSecret(result.stderr)
    expect(server.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 1 }, refreshReuses: 0 })
  })

  it('api: prints the answer, then exits 7 saying to sign in again', async () => {
    const result = await runCLI(['api', 'proj/count'], { ...env, WORKFRONT_SAVE_TIMEOUT: '0.2' })
    expect(result.code).toBe(7)
    expect(result.stdout).toBe('{"data":{"count":12}}')
    expect(result.stderr).toContain(
      `workfront: The refreshed session could not be saved to ${storeDir()} (the writes still failed after 0.2 s). ` +
        'Workfront has already replaced the refresh token stored there: you will need to sign in again\n' +
        'Check that the directory can be written to (permissions, free space), then sign in again: workfront login\n',
    )
    expectNoSecret(result.stderr)
    expect(server.mock.counters()).toMatchObject({ tokenCalls: { refresh_token: 1 }, refreshReuses: 0 })
  })

  it('refuses a WORKFRONT_SAVE_TIMEOUT that is not a number of seconds (exit 2)', async () => {
    const result = await runCLI(['token'], { ...env, WORKFRONT_SAVE_TIMEOUT: 'soon' })
    expect(result).toMatchObject({ code: 2, stdout: '' })
    expect(result.stderr).toContain('WORKFRONT_SAVE_TIMEOUT is a number of seconds')
    expect(issued).toEqual([])
  })
})

/** `workfront <args>` on a pseudo-terminal (util-linux `script`): stdout and stderr both go to it. */
function inTerminal(
  args: readonly string[],
  extraEnv: Record<string, string>,
): { waitFor(text: string): Promise<void>; finished: Promise<Finished> } {
  const command = [process.execPath, BIN, ...args].map((arg) => `'${arg}'`).join(' ')
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...extraEnv },
  })
  let out = ''
  const watchers = new Set<() => void>()
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk
    for (const watcher of watchers) watcher()
  })
  const finished = new Promise<Finished>((resolve) => {
    child.once('close', (code) => {
      for (const watcher of watchers) watcher()
      resolve({ code, stdout: out, stderr: '' })
    })
  })
  return {
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const look = (): void => {
          if (out.includes(text)) {
            watchers.delete(look)
            resolve()
          } else if (child.exitCode !== null) {
            watchers.delete(look)
            reject(new Error(`workfront exited (${child.exitCode}) before printing ${text}:\n${out}`))
          }
        }
        watchers.add(look)
        look()
      }),
    finished,
  }
}
