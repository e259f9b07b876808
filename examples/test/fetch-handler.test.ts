/**
 * docs/other-frameworks.md's fetch handler (examples/fetch), run as written on three runtimes: Node (through
 * @hono/node-server's Request/Response server), `Deno.serve` and `Bun.serve`, each the binary of the npm
 * package (`deno`, `bun`). Each signs in through the Workfront mock in headless Chromium, lists the
 * projects, refreshes once under 10 concurrent API calls, and signs out.
 */
import { fileURLToPath } from 'node:url'
import type { ServerType } from '@hono/node-server'
import { afterAll, expect, it, vi } from 'vitest'
import { chromiumForFile, walkInChromium } from './chromium.ts'
import { appVariables, setUpWorkfront } from './getting-started.ts'
import { startApp } from './runtimes.ts'

const EXAMPLES = fileURLToPath(new URL('..', import.meta.url))
const FETCH = fileURLToPath(new URL('../fetch', import.meta.url))
const BIN = fileURLToPath(new URL('../node_modules/.bin', import.meta.url))

const chromium = chromiumForFile()
const { closers } = chromium
afterAll(() => {
  vi.unstubAllEnvs()
})

it('Node: signs in, calls the API, refreshes once under 10 concurrent calls, signs out', async () => {
  const workfront = await setUpWorkfront()
  closers.push(workfront.close)
  const variables = { ...appVariables(workfront.publicUrl, workfront.origin), PORT: String(workfront.port) }
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value)
  const { server } = (await import('../fetch/node.ts')) as { server: ServerType }
  closers.push(() => new Promise<void>((done) => server.close(() => done())))
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', ready)))

  const walk = await walkInChromium(chromium.browser(), {
    origin: workfront.publicUrl,
    mock: workfront.mock,
    name: 'fetch-node',
  })
  expect(walk).toEqual({ concurrentStatuses: Array(10).fill(200), refreshes: 1 })
})

for (const runtime of [
  {
    name: 'Deno',
    command: `${BIN}/deno`,
    args: [
      'run',
      '--allow-net',
      '--allow-env',
      '--allow-read',
      '--node-modules-dir=manual',
      `${FETCH}/deno.ts`,
    ],
  },
  { name: 'Bun', command: `${BIN}/bun`, args: ['run', `${FETCH}/bun.ts`] },
]) {
  it(`${runtime.name}: signs in, calls the API, refreshes once under 10 concurrent calls, signs out`, async () => {
    const workfront = await setUpWorkfront()
    closers.push(workfront.close)
    const app = await startApp({
      command: runtime.command,
      args: runtime.args,
      cwd: EXAMPLES,
      env: { ...appVariables(workfront.publicUrl, workfront.origin), PORT: String(workfront.port) },
      origin: workfront.publicUrl,
    })
    closers.push(app.stop)
    const walk = await walkInChromium(chromium.browser(), {
      origin: workfront.publicUrl,
      mock: workfront.mock,
      name: `fetch-${runtime.name.toLowerCase()}`,
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\n--- ${runtime.name} output ---\n${app.output()}`, { cause: error })
    })
    expect(walk).toEqual({ concurrentStatuses: Array(10).fill(200), refreshes: 1 })
  })
}
