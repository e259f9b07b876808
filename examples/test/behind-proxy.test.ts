/**
 * The README's app behind one proxy, run as written: requests from 127.0.0.1 stand for the proxy's, with the
 * client's address appended to X-Forwarded-For. Each client gets the sign-in limit to itself, and what a
 * client writes in the header before the proxy's entry changes nothing.
 */
import type { ServerType } from '@hono/node-server'
import { afterAll, expect, it, vi } from 'vitest'
import { appVariables } from './getting-started.ts'
import { freePort } from './http.ts'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
  vi.unstubAllEnvs()
})

it('counts sign-ins per client behind the proxy, not per proxy', async () => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const variables = { ...appVariables(origin, 'https://acme.my.workfront.com'), PORT: String(port) }
  for (const [name, value] of Object.entries(variables)) vi.stubEnv(name, value)
  const { server } = (await import('../node-hono/behind-proxy.ts')) as { server: ServerType }
  closers.push(() => new Promise<void>((done) => server.close(() => done())))
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', ready)))

  const login = async (forwardedFor: string): Promise<number> =>
    (
      await fetch(`${origin}/auth/login`, {
        headers: { 'x-forwarded-for': forwardedFor },
        redirect: 'manual',
      })
    ).status
  /** Sign-ins admitted before the first 429 (bounded by attempts, not by time), or null if none came. */
  const admittedUntilRefused = async (forwardedFor: (i: number) => string): Promise<number | null> => {
    for (let i = 0; i < 40; i++) {
      const status = await login(forwardedFor(i))
      if (status === 429) return i
      expect(status).toBe(302)
    }
    return null
  }
  // One client, inventing a new "original" address each time in front of what the proxy appends.
  expect(await admittedUntilRefused((i) => `203.0.113.${i}, 198.51.100.7`)).toBeGreaterThanOrEqual(10)
  // Another client behind the same proxy: a limit of its own.
  expect(await login('198.51.100.8')).toBe(302)
})
