/** Helpers for the tests that run the docs' examples over real HTTP on loopback. Node only. */
import { serve } from '@hono/node-server'
import { createBrowser as createKitBrowser } from '@workfront-oauth/test-kit'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'

export { freePort } from '@workfront-oauth/test-kit/node'

/** The mock on a loopback port of its own, as the Workfront an example talks to. */
export async function serveMock(mock: WorkfrontMock): Promise<{ origin: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: mock.fetch, hostname: '127.0.0.1', port: 0 }, (info) =>
      resolve({
        origin: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    )
  })
}

/**
 * The test kit's browser over real HTTP: keeps cookies, follows no redirect by itself, sends its cookies to
 * `origin` only, and `Origin` on POST.
 */
export function createBrowser(origin: string): {
  jar: Map<string, string>
  request(url: string | URL, init?: RequestInit): Promise<Response>
} {
  const browser = createKitBrowser(
    async (request) => {
      const headers = new Headers(request.headers)
      if (new URL(request.url).origin !== origin) headers.delete('cookie')
      if (request.method === 'POST') headers.set('origin', origin)
      return fetch(new Request(request, { headers }))
    },
    { origin },
  )
  return { jar: browser.jar, request: (url, init) => browser.request(String(url), init) }
}
