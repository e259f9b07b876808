/**
 * A cookie-keeping client (the test kit's browser) for tests that drive the demo over HTTP without a
 * browser: in-process (`app.request`), inside workerd (`exports.default.fetch`) or against real servers
 * (`fetch`). Web APIs only.
 */
import { createBrowser } from '@workfront-oauth/test-kit'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'

export type Fetch = (request: Request) => Promise<Response>

export interface BrowserLike {
  /** `path` is resolved against `origin`; absolute URLs go where they say, with the same cookies. */
  request(path: string, init?: RequestInit): Promise<Response>
  /** A same-origin form POST, as a browser sends it (with `Origin`). */
  post(path: string, fields?: Record<string, string>): Promise<Response>
  readonly jar: Map<string, string>
}

export const DEMO_USER = { username: 'demo@acme.test', password: 'demo' } as const

/** The test kit's cookie-keeping browser, asking for HTML as a browser does, with same-origin form posts. */
export function createBrowserLike(fetch: Fetch, origin: string): BrowserLike {
  const browser = createBrowser(fetch, { origin })
  function request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers)
    if (!headers.has('accept')) headers.set('accept', 'text/html')
    return browser.request(path, { ...init, headers })
  }
  return {
    jar: browser.jar,
    request,
    post: (path, fields = {}) =>
      request(path, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
  }
}

/**
 * `GET /auth/login` (on `loginUrl`, default the browser's origin), then Workfront's login and consent pages
 * (the mock's, wherever `mockFetch` reaches them), then the callback (on `callbackBase`, default the
 * browser's origin). Returns the callback's response.
 */
export async function signIn(
  browser: BrowserLike,
  options: { mockFetch: Fetch; loginUrl?: string; callbackBase?: string; decision?: 'allow' | 'deny' },
): Promise<Response> {
  const login = await browser.request(options.loginUrl ?? '/auth/login')
  if (login.status !== 302) throw new Error(`GET /auth/login answered ${login.status}`)
  const callback = await completeAuthorization(
    { fetch: options.mockFetch },
    login.headers.get('location') as string,
    {
      ...DEMO_USER,
      decision: options.decision ?? 'allow',
    },
  )
  const path = `${callback.pathname}${callback.search}`
  return browser.request(options.callbackBase ? new URL(path, options.callbackBase).href : path)
}

/** The number in the grant panel's "Refreshes so far". */
export function refreshCount(html: string): number {
  const match = /id="refresh-count" data-refresh-count="(\d+)"/.exec(html)
  if (!match) throw new Error('no refresh count on the page')
  return Number(match[1])
}
