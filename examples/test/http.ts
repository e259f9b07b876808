/** Helpers for the tests that run the docs' examples over real HTTP on loopback. Node only. */
import { serve } from '@hono/node-server'
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

/** A browser without a window: keeps cookies, follows no redirect by itself, sends `Origin` on POST. */
export function createBrowser(origin: string) {
  const jar = new Map<string, string>()
  return {
    jar,
    async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
      const target = new URL(url, origin)
      const headers = new Headers(init.headers)
      if (target.origin === origin && jar.size > 0) {
        headers.set('cookie', [...jar].map(([name, value]) => `${name}=${value}`).join('; '))
      }
      if (init.method === 'POST') headers.set('origin', origin)
      const response = await fetch(target, { ...init, headers, redirect: 'manual' })
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';')
        const at = pair.indexOf('=')
        const name = pair.slice(0, at)
        const value = pair.slice(at + 1)
        if (/Max-Age=0/i.test(line) || value === '') jar.delete(name)
        else jar.set(name, value)
      }
      return response
    },
  }
}
