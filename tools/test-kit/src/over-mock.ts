/**
 * An OAuth client over the Workfront mock, in-process: the options every test wrote out to point a client
 * (`createWorkfrontOAuth`, `createWorkfrontServerAuth`) at the mock as an app registered there. Typed by
 * shape, so that the kit depends on neither the core nor the mock (both use the kit in their own tests: a
 * dependency would be a cycle). Web-standard.
 */

/** What the harness needs of a Workfront mock (`WorkfrontMock`): its host and its in-process fetch. */
export interface MockLike {
  readonly host: string
  fetch(request: Request): Promise<Response>
}

/** An app registered at the mock (`MockApp`): a public (PKCE) app has no secret. */
export interface MockAppLike {
  readonly clientId: string
  readonly clientSecrets?: readonly string[] | undefined
  readonly redirectUris: readonly string[]
}

/** The client options that reach the mock: spread them into `createWorkfrontOAuth({ ...overMock(…), store })`. */
export interface OverMock {
  clientId: string
  clientSecret?: string
  redirectUri: string
  baseUrl: string
  http: (input: Request | string | URL, init?: RequestInit) => Promise<Response>
}

/**
 * Points a client at `mock` as `app` (its first secret and redirect URI), over the mock's in-process fetch.
 * `onRequest` sees each request first (a test that records what was sent).
 */
export function overMock(
  mock: MockLike,
  app: MockAppLike,
  options: { onRequest?: (request: Request) => void | Promise<void> } = {},
): OverMock {
  const secret = app.clientSecrets?.[0]
  return {
    clientId: app.clientId,
    ...(secret === undefined ? {} : { clientSecret: secret }),
    redirectUri: app.redirectUris[0] as string,
    baseUrl: `https://${mock.host}`,
    async http(input, init) {
      const request = new Request(input, init)
      await options.onRequest?.(request)
      return mock.fetch(request)
    },
  }
}
