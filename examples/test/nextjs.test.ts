/**
 * docs/other-frameworks.md's Next.js 16 App Router app (examples/nextjs), built and run as a user runs it:
 * `next build`, then `next start` on a loopback port, with a real redis-server as its store and the Workfront
 * mock on another port. Headless Chromium signs in (route handlers), sees the projects (a server component
 * behind proxy.ts), the greeting (a server component reading the session from `headers()`), one refresh
 * under 10 concurrent calls to a route handler, and signs out with the Server Action.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { expect, it } from 'vitest'
import { chromiumForFile, walkInChromium } from './chromium.ts'
import { appVariables, setUpWorkfront } from './getting-started.ts'
import { startApp } from './runtimes.ts'

const APP = fileURLToPath(new URL('../nextjs', import.meta.url))
const NEXT = fileURLToPath(new URL('../node_modules/.bin/next', import.meta.url))
/** `next build` and `next start` are stopped just before the test's hang guard, so that nothing outlives it. */
const BUILD_GUARD_MS = HANG_GUARD.testTimeout - 30_000
/** The test's own hang guard: a build, a start and the walk, each bounded by the suite's guard. */
const TEST_GUARD_MS = 2 * HANG_GUARD.testTimeout

const chromium = chromiumForFile()
const { closers } = chromium

it(
  'next build, next start: signs in, calls the API, refreshes once under 10 concurrent calls, signs out',
  async () => {
    const redis = await startRedisServer()
    closers.push(() => redis.stop())
    const workfront = await setUpWorkfront()
    closers.push(workfront.close)
    const env = {
      ...appVariables(workfront.publicUrl, workfront.origin),
      REDIS_URL: redis.url,
      NEXT_TELEMETRY_DISABLED: '1',
    }

    const build = await run(NEXT, ['build'], env)
    expect(build.code, build.output).toBe(0)
    expect(build.output).toContain('Proxy') // proxy.ts was picked up

    const app = await startApp({
      command: NEXT,
      args: ['start', '--hostname', '127.0.0.1', '--port', String(workfront.port)],
      cwd: APP,
      env,
      origin: workfront.publicUrl,
    })
    closers.push(app.stop)
    const walk = await walkInChromium(chromium.browser(), {
      origin: workfront.publicUrl,
      mock: workfront.mock,
      name: 'nextjs',
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- next start output ---\n${app.output()}`, { cause: error })
    })
    expect(walk).toEqual({ concurrentStatuses: Array(10).fill(200), refreshes: 1 })
  },
  TEST_GUARD_MS,
)

/** Runs `command args` in the app's directory: its exit code and output. */
function run(command: string, args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: APP,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
    const guard = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} still running after ${BUILD_GUARD_MS} ms:\n${output}`))
    }, BUILD_GUARD_MS)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(guard)
      resolve({ code, output })
    })
  })
}
