/**
 * docs/getting-started-workers.md's Worker, run as written: wrangler.jsonc and src/index.ts in workerd
 * (wrangler's `unstable_startWorker`, offline), its vars and secrets as bindings, signing in against the
 * Workfront mock on a loopback port through the mock's real login and consent pages.
 */
import { fileURLToPath } from 'node:url'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { afterAll, expect, it } from 'vitest'
import { unstable_startWorker } from 'wrangler'
import { createBrowser, freePort, serveMock } from './http.ts'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

it('signs in with Workfront inside workerd, lists the projects, refreshes once, signs out', async () => {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  const port = await freePort()
  const publicUrl = `http://127.0.0.1:${port}`
  const mock = createWorkfrontMock({
    apps: [
      {
        clientId: 'edge-app',
        clientSecrets: ['edge-secret'],
        redirectUris: [`${publicUrl}/auth/callback`],
        type: 'web',
      },
    ],
  })
  const workfront = await serveMock(mock)
  closers.push(workfront.close)
  const text = (value: string) => ({ type: 'plain_text' as const, value })
  const worker = await unstable_startWorker({
    config: fileURLToPath(new URL('../workers/wrangler.jsonc', import.meta.url)),
    bindings: {
      PUBLIC_URL: text(publicUrl),
      WORKFRONT_BASE_URL: text(workfront.origin),
      WORKFRONT_CLIENT_ID: text('edge-app'),
      WORKFRONT_CLIENT_SECRET: text('edge-secret'),
      SESSION_SECRET: text('a-session-secret-of-at-least-32-characters'),
      TOKEN_ENCRYPTION_KEY: text('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'),
    },
    dev: { server: { hostname: '127.0.0.1', port }, inspector: false, watch: false, logLevel: 'warn' },
  })
  closers.push(() => worker.dispose())
  await worker.ready

  const browser = createBrowser(publicUrl)
  expect(await (await browser.request('/')).text()).toContain('Sign in with Workfront')
  const login = await browser.request('/auth/login?returnTo=/projects')
  expect(login.status).toBe(302)
  const callback = await completeAuthorization({ fetch }, login.headers.get('location')!, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  expect((await browser.request(callback)).headers.get('location')).toBe('/projects')
  expect(await (await browser.request('/projects')).text()).toContain('<li>Website Redesign (CUR)</li>')
  expect(await (await browser.request('/')).text()).toContain(`Hello ${DEMO_USER.name}`)

  mock.expireAllSessions()
  expect((await browser.request('/projects')).status).toBe(200)
  expect(mock.counters().tokenCalls.refresh_token).toBe(1)

  expect((await browser.request('/auth/logout', { method: 'POST' })).status).toBe(303)
  expect((await browser.request('/projects')).status).toBe(302)
})
