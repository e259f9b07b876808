/**
 * @module
 * Helpers for tests that drive the mock's browser pages without a browser.
 */
import { base64URL, randomBytes, S256 } from './crypto'

/** The private half of the demo Machine to Machine app's key (PKCS#8 PEM). Mock-only. */
export const DEMO_M2M_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQC8OZLm0da9MMFX
3zzhiUBzDtIQxvO7fU9/VMhsq2V8jgmfp3E7bali96QkxA4e753Lc/VMMYEFoCxm
DR/MpUiIGCRWE8FfBx4aAE67U6XPeG5isKYivF6uvZJaImxxu3VXpYqK26H22cEw
snmj2CCsA1EZh7MukUTwcG0dnmMjN2+c1rgfrkYIaUVYJXvdZF3RkbB0S2XWbbOA
mOz2xYR/dKLg7B63Op4O0wZir6Q34eE5FHJRuCb2jerAxFrzGXEJIes41xTHMQrv
yEBxwPAn+AKYWagcSNgvGSDXEbaLrf9as/YCjuifbpe6OAbBNmqfr1/j7OjEg4Ok
H1u3gJAbAgMBAAECggEAD97y6g+LgcxYoSYrpgDCtHDteYitCIQabewiMjeJiSUY
3qNpws8OV0/2QTtezXD65yrR5ijObkEBPWGh6smNAhy3A6MKzQ52lU6tVNJKyuGm
vR+UAp3LhgRqELuSVUyvKkLFGcxHLd9SkN6brxsMNjTZY8OzchvBqlxwduziAxgG
cUbX6I5QhJ/beNyjqEpQmoTu+UA5Oyj/8ERtE8oDkLEeXTU2Kc4kRjhrcZzxwQ4X
WqXMihBiwEuT7BBlWsDyHHzGmDy6e3/icubMXxe0UaUSznwrp4VeUzs6416y3nU+
tt6c3tQz0SkG1mHD+Na163fVYxzbZ/JZIH8JsvCtcQKBgQDqstlKhlXcF0pEg4fm
EF1gBcOTXMRLhFvMpAzC4vZd7+FtAC+vJnNwXWE+AtmpxngeB3BPmIct/tP756IL
YZAQ1LsijsH1dgu/2xmtW8GmYdeDO8KcmprJznFtC8Fhv0s0jqwAZcNbNnrMbz2z
APUhoSER9uiPVFcKDwNWkVuwdwKBgQDNTuwMEDVvFkHtzalT+WjKnPG3Qf/+FwoR
bFP0VCcD9/aT/4Q5gHT93hIuMsnevWVL0p5WDzkWlcbk827GwnGGIEE1k8jV7ODT
PoDWcxwhaEw1cfKUXoRellJdCxQAzR8xouyjjEDSMB3ziBnQEC7P44M9NFkyBgE/
ulkpeE9KfQKBgQCbJng2p++Ce3MBL+Ja2F6h562OcTjiozD8a0Z0Xw12s+lV4VWk
d8rAcTqjf8bcUPN/BnPcanySj28bi9i3pVtThQ3gnnbiCZNi1Th4PbwafXu2qX7R
f/Lrjam16JuCPq88o0RZTuyCE9XB55fmCbAC9z2hXpQGjD6ty5btV1JBqQKBgQCa
TswZEQGoOZlZy26N//Hj/uupqgBmkBhwGfRLuggM8oywlaZitYq41/TgJioVsFH3
GBkLY6urruzrXY+P8crzXUDFrQqQxtX/z4V0KNYmwcYtkTQakaN5mA/VgKMLKyBb
5TFohtydXa7VQCDugYs9kqksEjFL6Ll9lWi4Q4WM3QKBgQCAubjyqDenlnMoWXcR
kGiJQZL5sidknMVmjX44iq4D5v8JjFclbON+l2utBffIXwte8H39f3PJ9SnYN5Kc
dFh4kXf3w7V21fIwBlMm7Ihc1feP2XPpsMk9iVsZTQxyYWf2yY6a2R+tVByjxqIr
wIVMAZcDvcSEfs4NP6H9LnFwpw==
-----END PRIVATE KEY-----
`

/** A PKCE verifier and its S256 challenge. */
export interface PKCEPair {
  /** The code verifier, sent with the code. */
  verifier: string
  /** Its S256 challenge, sent with the authorize request. */
  challenge: string
}

/** A fresh RFC 7636 verifier (43 characters) and its S256 challenge. */
export async function createPKCEPair(): Promise<PKCEPair> {
  const verifier = base64URL(randomBytes(32))
  return { verifier, challenge: await S256(verifier) }
}

/** Options of `completeAuthorization()`: the user to sign in as and the consent decision. */
export interface CompleteAuthorizationOptions {
  /** The user to sign in as. */
  username: string
  /** Their password. */
  password: string
  /** Default `allow`. */
  decision?: 'allow' | 'deny'
}

/** Thrown when a page of the flow does not answer as a successful step would. */
export class AuthorizationFlowError extends Error {
  /** Always `AuthorizationFlowError`. */
  override readonly name = 'AuthorizationFlowError'
  /** The HTTP status of the page that did not answer as expected. */
  readonly status: number
  constructor(message: string, status: number) {
    super(message)
    this.status = status
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

  // A browser already signed in to Workfront is shown the consent page at once.
  const consentPage = loginAction.endsWith('/consent')
    ? loginPage
    : await postForm(mock.fetch, new URL(loginAction, start), {
        pending,
        username: options.username,
        password: options.password,
      })
  const consentHTML = consentPage === loginPage ? loginHTML : await consentPage.text()
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
