import type { Context, Hono } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import type { AppConfig, Config } from './config'
import { S256_CHALLENGE } from './crypto'
import type { Engine, PendingAuthorization } from './engine'
import { consentPage, errorPage, loginPage, PAGE_HEADERS } from './html'
import { bodyText, sleep } from './io'
import { DEMO_USER } from './seed'
import type { MockUser } from './types'

/**
 * The browser-facing half: `GET /integrations/oauth2/authorize`, then a login form and a consent form.
 * Errors are shown as a page and never redirected, so an unregistered `redirect_uri` cannot turn the mock
 * into an open redirector (RFC 6749 §4.1.2.1, RFC 9700 §4.11).
 * @see WORKFRONT.md "The flow, step by step" §2–§4
 */

export const AUTHORIZE_PATH = '/integrations/oauth2/authorize'
/** The mock's own sign-in cookie: a browser that signed in once skips the login page next time. */
const BROWSER_COOKIE = 'wf_mock_signin'
const OAUTH_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'code_challenge',
  'code_challenge_method',
] as const

type Validated =
  | { ok: true; app: AppConfig; request: Omit<PendingAuthorization, 'createdAt' | 'userID'> }
  | { ok: false; message: string }

function validate(config: Config, query: URLSearchParams): Validated {
  for (const name of OAUTH_PARAMS) {
    if (query.getAll(name).length > 1) return { ok: false, message: `The ${name} parameter is repeated.` }
  }
  const clientId = query.get('client_id')
  if (!clientId) return { ok: false, message: 'The client_id parameter is missing.' }
  const app = config.apps.get(clientId)
  if (!app) return { ok: false, message: 'No application is registered with this client_id.' }
  const redirectUri = query.get('redirect_uri')
  if (!redirectUri) return { ok: false, message: 'The redirect_uri parameter is missing.' }
  if (!app.redirectUris.has(redirectUri)) {
    return { ok: false, message: 'The redirect_uri is not registered for this application.' }
  }
  if (query.get('response_type') !== 'code') return { ok: false, message: 'response_type must be code.' }

  const challenge = query.get('code_challenge') ?? undefined
  const method = query.get('code_challenge_method') ?? undefined
  if (method !== undefined && method !== 'S256') {
    return { ok: false, message: 'Only code_challenge_method=S256 is supported.' }
  }
  if (challenge !== undefined && method === undefined) {
    // RFC 7636 §4.3 defaults to "plain", which Workfront does not accept.
    return { ok: false, message: 'code_challenge_method=S256 is required with code_challenge.' }
  }
  if (method !== undefined && challenge === undefined) {
    return { ok: false, message: 'code_challenge is missing.' }
  }
  if (challenge !== undefined && !S256_CHALLENGE.test(challenge)) {
    return { ok: false, message: 'code_challenge must be 43 base64url characters (an S256 digest).' }
  }
  if (app.type === 'spa' && challenge === undefined) {
    return { ok: false, message: 'This application must use PKCE: send code_challenge with S256.' }
  }
  return {
    ok: true,
    app,
    request: { clientId, redirectUri, state: query.get('state') ?? undefined, codeChallenge: challenge },
  }
}

/** The redirect back, per Workfront's doc: `code`, `domain`, `lane`, and `state` when one was sent. */
function callbackURL(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(params))
    if (value !== undefined) url.searchParams.append(name, value)
  return url.href
}

function redirect(c: Context, location: string): Response {
  return c.body(null, 302, {
    Location: location,
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
  })
}

async function readForm(c: Context): Promise<URLSearchParams | undefined> {
  const type = (c.req.header('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase()
  if (type !== 'application/x-www-form-urlencoded') return undefined
  return new URLSearchParams(await bodyText(c.req.raw))
}

export function registerAuthorize(app: Hono, config: Config, engine: Engine): void {
  const showError = (c: Context, message: string, status: 400 | 415 = 400): Response =>
    c.html(errorPage({ host: config.host, message }), status, PAGE_HEADERS)

  const codeRedirect = (
    c: Context,
    request: Omit<PendingAuthorization, 'createdAt'>,
    userID: string,
  ): Response => {
    const code = engine.issueCode({
      clientId: request.clientId,
      redirectUri: request.redirectUri,
      userID,
      codeChallenge: request.codeChallenge,
    })
    return redirect(
      c,
      callbackURL(request.redirectUri, {
        code,
        domain: config.domain,
        lane: config.lane,
        state: config.omitCallbackState ? undefined : request.state,
      }),
    )
  }

  /** The consent page for a pending request whose user is known. */
  const consent = (c: Context, id: string, appConfig: AppConfig, user: MockUser, action: string) =>
    c.html(
      consentPage({
        host: config.host,
        action,
        pending: id,
        appName: appConfig.name,
        userName: user.name,
        username: user.username,
      }),
      200,
      PAGE_HEADERS,
    )

  app.get(AUTHORIZE_PATH, async (c) => {
    await sleep(engine.latency().authorize)
    const validated = validate(config, new URL(c.req.url).searchParams)
    if (!validated.ok) return showError(c, validated.message)
    if (config.autoConsentUser) {
      return codeRedirect(c, { ...validated.request, userID: undefined }, config.autoConsentUser.id)
    }
    const pending = engine.startAuthorization(validated.request)
    // Already signed in to Workfront in this browser: straight to consent, as Workfront does.
    const signedIn = engine.browserUser(getCookie(c, BROWSER_COOKIE) ?? '')
    if (signedIn) {
      const request = engine.pendingAuthorization(pending) as PendingAuthorization
      request.userID = signedIn.id
      return consent(c, pending, validated.app, signedIn, `${c.req.path}/consent`)
    }
    return c.html(
      loginPage({
        host: config.host,
        action: `${c.req.path}/login`,
        pending,
        appName: validated.app.name,
        demoCredentials: demoCredentials(config),
      }),
      200,
      PAGE_HEADERS,
    )
  })

  app.post(`${AUTHORIZE_PATH}/login`, async (c) => {
    await sleep(engine.latency().authorize)
    const form = await readForm(c)
    if (!form) return showError(c, 'The form must be sent as application/x-www-form-urlencoded.', 415)
    const id = form.get('pending') ?? ''
    const request = engine.pendingAuthorization(id)
    if (!request) return showError(c, 'This sign-in request is unknown or has expired.')
    const appConfig = config.apps.get(request.clientId)!
    const username = form.get('username') ?? ''
    const user = engine.authenticate(username, form.get('password') ?? '')
    if (!user) {
      return c.html(
        loginPage({
          host: config.host,
          action: c.req.path,
          pending: id,
          appName: appConfig.name,
          username,
          error: 'The username or password is incorrect.',
          demoCredentials: demoCredentials(config),
        }),
        401,
        PAGE_HEADERS,
      )
    }
    request.userID = user.id
    setCookie(c, BROWSER_COOKIE, engine.startBrowserSession(user.id), {
      path: c.req.path.replace(/\/login$/, ''),
      httpOnly: true,
      sameSite: 'Lax',
    })
    return consent(c, id, appConfig, user, c.req.path.replace(/\/login$/, '/consent'))
  })

  app.post(`${AUTHORIZE_PATH}/consent`, async (c) => {
    await sleep(engine.latency().authorize)
    const form = await readForm(c)
    if (!form) return showError(c, 'The form must be sent as application/x-www-form-urlencoded.', 415)
    const id = form.get('pending') ?? ''
    const request = engine.pendingAuthorization(id)
    if (!request?.userID) return showError(c, 'This sign-in request is unknown or has expired.')
    const decision = form.get('decision')
    if (decision !== 'allow' && decision !== 'deny') return showError(c, 'Choose Allow or Deny.')
    engine.finishAuthorization(id)
    if (decision === 'deny') {
      return redirect(
        c,
        callbackURL(request.redirectUri, {
          error: 'access_denied',
          state: config.omitCallbackState ? undefined : request.state,
        }),
      )
    }
    return codeRedirect(c, request, request.userID)
  })
}

function demoCredentials(config: Config): { username: string; password: string } | undefined {
  if (!config.showDemoCredentials) return undefined
  const user = config.usersByUsername.get(DEMO_USER.username) ?? config.users[0]
  return user && { username: user.username, password: user.password }
}
