/**
 * docs/getting-started-node.md's app, run as written: its server on a free port, signing in against the
 * Workfront mock on another, through the mock's real login and consent pages over HTTP.
 */
import type { ServerType } from '@hono/node-server'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { afterAll, expect, it, vi } from 'vitest'
import { createBrowser, freePort, serveMock } from './http.ts'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
  vi.unstubAllEnvs()
})

it('signs in with Workfront, lists the projects, signs out', async () => {
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const mock = createWorkfrontMock({
    apps: [
      {
        clientId: 'getting-started',
        clientSecrets: ['getting-started-secret'],
        redirectUris: [`${publicUrl}/auth/callback`],
        type: 'web',
      },
    ],
  })
  const workfront = await serveMock(mock)
  closers.push(workfront.close)
  for (const [name, value] of Object.entries({
    WORKFRONT_BASE_URL: workfront.origin,
    WORKFRONT_CLIENT_ID: 'getting-started',
    WORKFRONT_CLIENT_SECRET: 'getting-started-secret',
    PUBLIC_URL: publicUrl,
    PORT: String(port),
    SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    TOKEN_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
  })) {
    vi.stubEnv(name, value)
  }
  const { server } = (await import('../node-hono/server.ts')) as { server: ServerType }
  closers.push(() => new Promise<void>((done) => server.close(() => done())))
  await new Promise<void>((ready) => (server.listening ? ready() : server.once('listening', ready)))

  const browser = createBrowser(publicUrl)
  expect(await (await browser.request('/')).text()).toContain('Sign in with Workfront')
  const login = await browser.request('/auth/login?returnTo=/projects')
  expect(login.status).toBe(302)
  const callback = await completeAuthorization({ fetch }, login.headers.get('location')!, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  const back = await browser.request(callback)
  expect(back.headers.get('location')).toBe('/projects')
  const projects = await (await browser.request('/projects')).text()
  expect(projects).toContain('<li>Website Redesign (CUR)</li>')
  expect(await (await browser.request('/')).text()).toContain(`Hello ${DEMO_USER.name}`)

  mock.expireAllSessions() // the next page refreshes the token once
  expect((await browser.request('/projects')).status).toBe(200)
  expect(mock.counters().tokenCalls.refresh_token).toBe(1)

  const out = await browser.request('/auth/logout', { method: 'POST' })
  expect(out.status).toBe(303)
  expect((await browser.request('/projects')).headers.get('location')).toBe(
    '/auth/login?returnTo=%2Fprojects',
  )
})
