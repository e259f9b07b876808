/**
 * `pnpm demo` (`dist/node/demo.mjs`, as built): wrangler dev in workerd behind the banner, with wrangler's
 * output reduced to what a user needs — no banner of its own, no binding table, no variable (secrets) — and
 * the requests once the demo is up; Ctrl-C stops wrangler and workerd.
 */
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { eventually } from '@workfront-oauth/test-kit'
import { afterAll, expect, it } from 'vitest'
import { freePort, retryWhenPortTaken } from './dev/ports.ts'
import { type Started, startProcess } from './test/processes.ts'

let demo: Started | undefined
afterAll(async () => {
  await demo?.stop()
})

it('starts the demo, prints the banner and the Worker’s lines but not wrangler’s chatter, stops on Ctrl-C', async () => {
  let port = 0
  demo = await retryWhenPortTaken(async () => {
    port = await freePort()
    return startProcess({
      name: 'pnpm demo',
      command: process.execPath,
      args: [fileURLToPath(new URL('../dist/node/demo.mjs', import.meta.url))],
      env: { ...process.env, PORT: String(port) },
      ready: /Ctrl-C stops it\./,
      timeoutMs: 90_000,
    })
  })
  const origin = `http://127.0.0.1:${port}`
  expect((await fetch(`${origin}/nope`)).status).toBe(404)
  // The request line comes from wrangler (a real process, on real time) a moment after the response.
  const started = demo
  await eventually(() => started.output().includes('GET /nope 404'))
  const output = demo.output()
  expect(output).toContain(`Workfront OAuth demo — open ${origin}`)
  expect(output).toContain('Sign in as demo@acme.test, password demo')
  expect(output).toMatch(/^edge-demo: Workfront is the built-in Workfront mock/m)
  expect(output).toMatch(/^ {2}GET \/nope 404 Not Found/m)
  for (const chatter of [
    '⛅️ wrangler',
    'Your Worker has access',
    'env.SESSION_SECRET',
    'Ready on',
    'Using secrets',
  ]) {
    expect(output).not.toContain(chatter)
  }

  const exited = once(demo.process, 'exit')
  demo.process.kill('SIGINT')
  expect((await exited)[0]).toBe(0)
  const refused = await fetch(origin).then(
    () => false,
    () => true,
  )
  expect(refused).toBe(true)
})
