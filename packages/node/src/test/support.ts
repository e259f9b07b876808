/**
 * What the bridge's tests share: the Workfront mock (in-process, or on a loopback port as a real Workfront
 * would be), a web auth against it, Node servers on free ports, and a cookie-keeping client over real HTTP.
 */
import type { RequestListener, Server } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { StoragePort, WebAuth, WebAuthOptions, WorkfrontOAuth } from '@workfront-oauth/core'
import { createWebAuth, createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import { createBrowser, overMock } from '@workfront-oauth/test-kit'
import type { MockApp, WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock } from '@workfront-oauth/workfront-mock'

export const CLIENT = { id: 'node-bridge', secret: 'node-bridge-secret-that-must-never-leak' }
export const COOKIE_SECRET = 'cookie-secret-that-must-never-leak-0123456789'
export const SESSION_SECRET = 'a-session-secret-of-at-least-32-characters'
export const TOKEN_KEY = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'

/** Listens on a free loopback port; `close` ends the server and its idle connections. */
export async function listen(
  handler: RequestListener | Server,
  port = 0,
): Promise<{ server: Server; origin: string; port: number; close(): Promise<void> }> {
  const server = typeof handler === 'function' ? createServer(handler) : handler
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    server,
    port: address.port,
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The mock on a loopback port of its own, with the app at `appOrigin` registered. */
export async function serveMock(
  appOrigin: string,
): Promise<{ mock: WorkfrontMock; origin: string; close(): Promise<void> }> {
  const mock = createWorkfrontMock({
    apps: [
      {
        clientId: CLIENT.id,
        clientSecrets: [CLIENT.secret],
        redirectUris: [`${appOrigin}/auth/callback`],
        type: 'web',
      },
    ],
  })
  return new Promise((resolve) => {
    const server = serve({ fetch: mock.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({
        mock,
        origin: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    )
  })
}

/** A web auth at `appOrigin`, signing in against the mock in-process (no socket). */
export function inProcessAuth(
  appOrigin: string,
  options: { store?: StoragePort; auth?: Partial<WebAuthOptions> } = {},
): { mock: WorkfrontMock; oauth: WorkfrontOAuth; auth: WebAuth } {
  const app: MockApp = {
    clientId: CLIENT.id,
    clientSecrets: [CLIENT.secret],
    redirectUris: [`${appOrigin}/auth/callback`],
    type: 'web',
  }
  const mock = createWorkfrontMock({ apps: [app] })
  const oauth = createWorkfrontOAuth({ ...overMock(mock, app), store: options.store ?? memoryStore() })
  const auth = createWebAuth({ oauth, appOrigin, cookieSecrets: [COOKIE_SECRET], ...options.auth })
  return { mock, oauth, auth }
}

/** A client without a window over real HTTP: the test kit's cookie-keeping browser over `fetch`. */
export const createClient = (origin: string) => createBrowser((request) => fetch(request), { origin })
