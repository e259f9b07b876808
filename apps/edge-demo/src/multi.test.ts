/**
 * `pnpm demo:multi` (`dist/node/multi.mjs`, as built) as a user runs it: one command, then a browser's
 * requests through its one origin alternate between the two instances, the sign-in survives every hop, a
 * refresh storm across both makes one token call at the shared mock, and Ctrl-C stops Redis, the instances
 * and the origin.
 */
import { once } from 'node:events'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { freePort } from './dev/ports.ts'
import { createBrowserLike, signIn } from './test/browser-like.ts'
import { type Started, startProcess } from './test/processes.ts'

let launcher: Started | undefined
afterAll(async () => {
  await launcher?.stop()
})

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

it('runs two instances, one Redis, one mock and one origin; keeps the user signed in across hops; stops it all', async () => {
  const port = await freePort()
  launcher = await startProcess({
    name: 'demo:multi',
    command: process.execPath,
    args: [fileURLToPath(new URL('../dist/node/multi.mjs', import.meta.url))],
    env: { ...process.env, PORT: String(port) },
    ready: /Ctrl-C stops everything/,
    timeoutMs: 60_000,
  })
  const banner = launcher.output()
  const origin = `http://127.0.0.1:${port}`
  expect(banner).toContain(`two instances — open ${origin}`)
  const mockOrigin = /one mock for both, (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!
  const redisPort = Number(/Redis redis:\/\/127\.0\.0\.1:(\d+)/.exec(banner)![1])
  const instancePorts = [...banner.matchAll(/[AB] on :(\d+)/g)].map((m) => Number(m[1]))
  expect(instancePorts).toHaveLength(2)

  const browser = createBrowserLike((request) => fetch(request), origin)
  const served: string[] = []
  const get = async (path: string, accept = 'text/html'): Promise<Response> => {
    const response = await browser.request(path, { headers: { accept } })
    served.push(response.headers.get('x-demo-instance') ?? '?')
    return response
  }
  expect((await get('/')).status).toBe(200)
  expect((await signIn(browser, { mockFetch: (request) => fetch(request) })).status).toBe(302)
  // Every hop keeps the session: A and B share Redis, the secrets and one Workfront.
  for (let i = 0; i < 4; i++) expect((await get('/api/projects', 'application/json')).status).toBe(200)
  expect(new Set(served)).toEqual(new Set(['A', 'B']))

  const expire = await fetch(`${mockOrigin}/__mock/sessions/expire`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  })
  expect(expire.status).toBe(200)
  const storm = await Promise.all(Array.from({ length: 10 }, () => get('/api/projects', 'application/json')))
  expect(storm.map((r) => r.status)).toEqual(Array(10).fill(200))
  const counters = (await (await fetch(`${mockOrigin}/__mock/counters`)).json()) as {
    tokenCalls: { refresh_token: number }
    refreshReuses: number
  }
  expect(counters.tokenCalls.refresh_token).toBe(1)
  expect(counters.refreshReuses).toBe(0)

  // Ctrl-C: everything it started is gone.
  const exited = once(launcher.process, 'exit')
  launcher.process.kill('SIGINT')
  expect((await exited)[0]).toBe(0)
  for (const p of [port, redisPort, ...instancePorts, Number(new URL(mockOrigin).port)]) {
    expect(await accepts(p), `port ${p}`).toBe(false)
  }
})
