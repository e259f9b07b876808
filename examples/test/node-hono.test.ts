/**
 * docs/getting-started-node.md's app, run as written: its server on a free port, signing in against the
 * Workfront mock on another, through the mock's real login and consent pages over HTTP.
 */
import type { ServerType } from '@hono/node-server'
import { afterAll, it, vi } from 'vitest'
import { appVariables, setUpWorkfront, walkTheApp } from './getting-started.ts'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
  vi.unstubAllEnvs()
})

it('signs in with Workfront, lists the projects, refreshes once, signs out', async () => {
  const workfront = await setUpWorkfront()
  closers.push(workfront.close)
  const variables = { ...appVariables(workfront.publicUrl, workfront.origin), PORT: String(workfront.port) }
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value)
  const { server } = (await import('../node-hono/server.ts')) as { server: ServerType }
  closers.push(() => new Promise<void>((done) => server.close(() => done())))
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', ready)))

  await walkTheApp(workfront.publicUrl, workfront.mock)
})
