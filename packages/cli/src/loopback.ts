/**
 * The loopback redirect of a native app (RFC 8252 §7.3): a one-shot HTTP server on `127.0.0.1:<port>`
 * that hands the browser to Workfront and waits for it to come back to `/callback`.
 *
 * The browser is not sent to Workfront's authorize URL directly: that URL holds the sign-in's `state`, and
 * an opener's command line (`xdg-open <url>`, the browser's own) can be read by every user of the machine —
 * who could then sign in as themselves with it and have this CLI accept their callback. The browser opens a
 * start page instead, `/start/<nonce>`, which carries nothing worth stealing: it answers once, with a
 * redirect to the authorize URL and a cookie that the callback must bring back. A copied authorize URL is
 * useless without that cookie; the start page opened a second time stops the sign-in (someone else may have
 * opened it first). On Linux, requests from another user's processes are refused outright: the kernel's
 * socket table says who opened each connection (`peer-owner.ts`).
 *
 * The server is reachable by every web page the user has open, so it answers only what a real sign-in looks
 * like: a top-level navigation (`Sec-Fetch-Mode: navigate` when the browser says), with no `Origin` other
 * than Workfront's, addressed to `127.0.0.1:<port>` (a rebound DNS name is refused), carrying the `state` of
 * the sign-in in progress. Anything else gets an error page and the sign-in keeps waiting, so a hostile
 * page cannot end or hijack it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { CLIError } from './errors.ts'
import { connectionOwner } from './peer-owner.ts'

export interface CallbackPage {
  status: number
  title: string
  message: string
}

/** A valid callback, whose browser is still waiting for the page that says how the sign-in ended. */
export interface ReceivedCallback {
  url: URL
  respond(page: CallbackPage): void
  /**
   * Throws `login_page_reopened` when the start page has been asked for again since: the callback may then be
   * another program's, which opened the start page before the user's browser did. Called before saving.
   */
  confirm(): void
}

/** A sign-in the server waits for. */
export interface PendingSignIn {
  /** `http://127.0.0.1:<port>/start/<nonce>`: the page to open in the browser. Not a secret. */
  startURL: string
  /**
   * The first callback with the sign-in's `state` and the start page's cookie. Rejects when the signal
   * aborts, or with `login_page_reopened` when the start page is asked for a second time.
   */
  callback: Promise<ReceivedCallback>
}

export interface LoopbackServer {
  readonly port: number
  /** Arms the server for one sign-in: `authorizeURL` is Workfront's, carrying `state`. */
  begin(login: { state: string; authorizeURL: string }, signal: AbortSignal): PendingSignIn
  close(): Promise<void>
}

export interface LoopbackOptions {
  port: number
  /** Workfront's origin: the only `Origin` a callback may carry (after a redirect from a form post). */
  workfrontOrigin: string
  /** Told about each refused request, with the reason (no secret: codes and states are never included). */
  onRefused?(reason: string): void
}

const HOST = '127.0.0.1'
const CROSS_SITE = {
  status: 403,
  title: 'Refused',
  message: 'A sign-in comes back from Workfront as a page load, not from another site.',
}
const NOT_YOURS = {
  status: 403,
  title: 'Not your sign-in',
  message: 'This sign-in belongs to another user of this computer.',
}

interface Armed {
  state: string
  authorizeURL: string
  nonce: string
  cookie: string
  opened: boolean
  reopened: boolean
  received: boolean
  resolve(callback: ReceivedCallback): void
  reject(error: unknown): void
}

export async function startLoopback(options: LoopbackOptions): Promise<LoopbackServer> {
  let armed: Armed | null = null
  // Cookies are per host, not per port: two sign-ins on two ports must not overwrite each other's.
  const cookieName = `workfront-login-${options.port}`
  const uid = process.platform === 'win32' ? null : (process.geteuid?.() ?? null)

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onRefused?.(`a request that failed (${printable((error as Error).message)})`)
      if (response.headersSent) response.destroy()
      else page(response, { status: 500, title: 'Error', message: 'Something went wrong; see the terminal.' })
    })
  })

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const refusal = check(request) ?? (await checkOwner(request))
    if (refusal) {
      options.onRefused?.(refusal.reason)
      page(response, refusal)
      return
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${options.port}`)
    // The start page is still watched once the callback came: opened again, the sign-in is not saved.
    if (url.pathname !== '/callback' && armed) start(armed, url, response)
    else if (armed && !armed.received) callback(armed, url, request, response)
    else page(response, { status: 409, title: 'Nothing to complete', message: 'No sign-in is waiting here.' })
  }

  function start(login: Armed, url: URL, response: ServerResponse): void {
    if (!sameSecret(url.pathname.slice('/start/'.length), login.nonce)) {
      options.onRefused?.('a start page of another sign-in')
      page(response, { status: 404, title: 'Not found', message: 'This is not the sign-in waiting here.' })
      return
    }
    if (login.opened) {
      login.reopened = true
      login.reject(
        new CLIError(
          'login_page_reopened',
          'The sign-in page was opened twice: another program on this computer may have opened it before ' +
            'your browser did. Nothing was saved; sign in again',
        ),
      )
      page(response, {
        status: 409,
        title: 'Already opened',
        message:
          'This sign-in page was already opened, maybe by another program. The sign-in was stopped: start it again in the terminal.',
      })
      return
    }
    login.opened = true
    response.writeHead(302, {
      ...SECURITY_HEADERS,
      Location: login.authorizeURL,
      'Set-Cookie': `${cookieName}=${login.cookie}; Path=/callback; HttpOnly; SameSite=Lax`,
    })
    response.end()
  }

  function callback(login: Armed, url: URL, request: IncomingMessage, response: ServerResponse): void {
    const state = url.searchParams.getAll('state')
    if (state.length !== 1 || !sameSecret(state[0] as string, login.state)) {
      options.onRefused?.('a callback that does not belong to this sign-in (wrong state)')
      page(response, {
        status: 400,
        title: 'Not this sign-in',
        message: 'This link does not belong to the sign-in waiting in your terminal. Nothing was changed.',
      })
      return
    }
    if (!cookies(request.headers.cookie, cookieName).some((value) => sameSecret(value, login.cookie))) {
      options.onRefused?.('a callback from a browser that did not open the sign-in page (no sign-in cookie)')
      page(response, {
        status: 403,
        title: 'Not this browser',
        message:
          'This browser did not open the sign-in page the terminal opened or printed (or it refused the sign-in cookie). Nothing was changed.',
      })
      return
    }
    login.received = true
    login.resolve({
      url,
      respond: (result) =>
        page(response, result, { 'Set-Cookie': `${cookieName}=; Path=/callback; Max-Age=0` }),
      confirm() {
        if (login.reopened) {
          throw new CLIError(
            'login_page_reopened',
            'The sign-in page was opened again while the sign-in was completing: another program on this ' +
              'computer may have opened it before your browser did. Nothing was saved; sign in again',
          )
        }
      },
    })
  }

  function check(request: IncomingMessage): (CallbackPage & { reason: string }) | null {
    const path = (request.url ?? '').split('?', 1)[0] as string
    if (request.headers.host !== `${HOST}:${options.port}`) {
      return {
        status: 421,
        title: 'Wrong address',
        message: 'Use the address the sign-in gave.',
        reason: 'a request for another host name',
      }
    }
    const isStart = /^\/start\/[^/]*$/.test(path)
    if (path !== '/callback' && !isStart) {
      return {
        status: 404,
        title: 'Not found',
        message: 'Nothing here.',
        reason: `a request for ${printable(path)}`,
      }
    }
    if (request.method !== 'GET') {
      return {
        status: 405,
        title: 'Not allowed',
        message: 'The sign-in comes back with GET.',
        reason: `a ${printable(request.method)} request`,
      }
    }
    // The start page is opened from outside the browser (no Origin); a callback may follow Workfront's form.
    const origin = request.headers.origin
    if (origin !== undefined && (isStart || origin !== options.workfrontOrigin)) {
      return { ...CROSS_SITE, reason: `a request from another origin (${printable(origin)})` }
    }
    const mode = request.headers['sec-fetch-mode']
    const dest = request.headers['sec-fetch-dest']
    if ((mode !== undefined && mode !== 'navigate') || (dest !== undefined && dest !== 'document')) {
      return {
        ...CROSS_SITE,
        reason: `a request that is not a page load (fetch mode ${printable(mode ?? 'none')}, destination ${printable(dest ?? 'none')})`,
      }
    }
    return null
  }

  /** Another user's program is refused; root is not (it can read everything here anyway). */
  async function checkOwner(request: IncomingMessage): Promise<(CallbackPage & { reason: string }) | null> {
    if (uid === null) return null
    const owner = await connectionOwner(request.socket)
    if (owner === 'unavailable' || owner === uid || owner === 0) return null
    return {
      ...NOT_YOURS,
      reason:
        owner === 'unknown'
          ? 'a request whose sender could not be identified'
          : `a request from another user of this computer (uid ${owner})`,
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      if ((error as { code?: unknown }).code === 'EADDRINUSE') {
        reject(
          new CLIError(
            'port_in_use',
            `Port ${options.port} on ${HOST} is in use (another \`workfront login\` waiting, or another program). ` +
              'Close it, or pass --port with another port registered as a redirect URI of the Workfront app.',
          ),
        )
      } else reject(error)
    })
    server.listen(options.port, HOST, () => resolve())
  })

  return {
    port: options.port,
    begin({ state, authorizeURL }, signal) {
      const nonce = randomBytes(16).toString('base64url')
      const callback = new Promise<ReceivedCallback>((resolve, reject) => {
        armed = {
          state,
          authorizeURL,
          nonce,
          cookie: randomBytes(32).toString('base64url'),
          opened: false,
          reopened: false,
          received: false,
          resolve,
          reject,
        }
        if (signal.aborted) reject(signal.reason)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
      })
      // Whoever awaits it sees the rejection; a rejection before they do is not an unhandled one.
      callback.catch(() => undefined)
      return { startURL: `http://${HOST}:${options.port}/start/${nonce}`, callback }
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
      })
    },
  }
}

/** Request text is the sender's: keep terminal escape sequences and floods out of the user's terminal. */
function printable(text: string | undefined): string {
  const value = text ?? ''
  return /^[\x20-\x7e]{0,200}$/.test(value) ? value : '(unprintable)'
}

/** The values of the cookie `name` in a `Cookie` header (a browser may send several). */
function cookies(header: string | undefined, name: string): string[] {
  return (header ?? '')
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair.startsWith(`${name}=`))
    .map((pair) => pair.slice(name.length + 1))
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  // The callback URL holds the code, the redirect the state: keep them out of other sites' logs.
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  Connection: 'close',
}

function page(response: ServerResponse, result: CallbackPage, headers: Record<string, string> = {}): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHTML(result.title)} · workfront</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>${escapeHTML(result.title)}</h1><p>${escapeHTML(result.message)}</p></body></html>`
  response.writeHead(result.status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  })
  response.end(html)
}

function escapeHTML(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )
}
