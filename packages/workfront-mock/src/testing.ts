/**
 * @module
 * Helpers for tests that drive the mock's browser pages without a browser.
 */
import { base64URL, randomBytes, S256 } from './crypto'

export interface PKCEPair {
  verifier: string
  challenge: string
}

/** A fresh RFC 7636 verifier (43 characters) and its S256 challenge. */
export async function createPKCEPair(): Promise<PKCEPair> {
  const verifier = base64URL(randomBytes(32))
  return { verifier, challenge: await S256(verifier) }
}

export interface CompleteAuthorizationOptions {
  username: string
  password: string
  /** Default `allow`. */
  decision?: 'allow' | 'deny'
}

/** Thrown when a page of the flow does not answer as a successful step would. */
export class AuthorizationFlowError extends Error {
  override readonly name = 'AuthorizationFlowError'
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

type Fetch = (request: Request) => Promise<Response>

function hiddenPending(html: string): string | undefined {
  return /<input type="hidden" name="pending" value="([^"]*)">/.exec(html)?.[1]
}

function formAction(html: string): string | undefined {
  return /<form method="post" action="([^"]*)">/.exec(html)?.[1]
}

function alertText(html: string): string {
  return /role="alert">([^<]*)</.exec(html)?.[1] ?? 'no message'
}

async function postForm(fetch: Fetch, url: URL, fields: Record<string, string>): Promise<Response> {
  return fetch(
    new Request(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    }),
  )
}

/**
 * Opens `authorizeURL`, submits the login form and then the consent form, as a person would, and returns
 * the URL the mock redirects the browser to (the client's callback, with `code` or `error`).
 */
export async function completeAuthorization(
  mock: { fetch: Fetch },
  authorizeURL: string | URL,
  options: CompleteAuthorizationOptions,
): Promise<URL> {
  const start = new URL(authorizeURL)
  const loginPage = await mock.fetch(new Request(start, { redirect: 'manual' }))
  const loginLocation = loginPage.headers.get('location')
  // autoConsent answers at once with the callback.
  if (loginPage.status === 302 && loginLocation) return new URL(loginLocation)
  const loginHTML = await loginPage.text()
  const pending = hiddenPending(loginHTML)
  const loginAction = formAction(loginHTML)
  if (loginPage.status !== 200 || !pending || !loginAction) {
    throw new AuthorizationFlowError(`authorize failed: ${alertText(loginHTML)}`, loginPage.status)
  }

  const consentPage = await postForm(mock.fetch, new URL(loginAction, start), {
    pending,
    username: options.username,
    password: options.password,
  })
  const consentHTML = await consentPage.text()
  const consentAction = formAction(consentHTML)
  if (consentPage.status !== 200 || !consentAction) {
    throw new AuthorizationFlowError(`login failed: ${alertText(consentHTML)}`, consentPage.status)
  }

  const callback = await postForm(mock.fetch, new URL(consentAction, start), {
    pending,
    decision: options.decision ?? 'allow',
  })
  const location = callback.headers.get('location')
  if (callback.status !== 302 || !location) {
    throw new AuthorizationFlowError(`consent failed: ${alertText(await callback.text())}`, callback.status)
  }
  return new URL(location)
}
