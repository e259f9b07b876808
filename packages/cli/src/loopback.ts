/**
 * The loopback redirect of a native app (RFC 8252 §7.3): a one-shot HTTP server on `127.0.0.1:<port>`
 * that waits for the browser to come back to `/callback` from Workfront.
 *
 * It is reachable by every web page the user has open, so it answers only what a real sign-in looks like:
 * a top-level navigation (`Sec-Fetch-Mode: navigate` when the browser says), with no `Origin` other than
 * Workfront's, addressed to `127.0.0.1:<port>` (a rebound DNS name is refused), carrying the `state` of
 * the sign-in in progress. Anything else gets an error page and the sign-in keeps waiting, so a hostile
 * page cannot end or hijack it.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { CLIError } from './errors.ts'

export interface CallbackPage {
  status: number
  title: string
  message: string
}

/** A valid callback, whose browser is still waiting for the page that says how the sign-in ended. */
export interface ReceivedCallback {
  url: URL
  respond(page: CallbackPage): void
}

export interface LoopbackServer {
  readonly port: number
  /** Resolves with the first callback that carries `state`; rejects when `signal` aborts. */
  waitForCallback(state: string, signal: AbortSignal): Promise<ReceivedCallback>
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

export async function startLoopback(options: LoopbackOptions): Promise<LoopbackServer> {
  let expected: { state: string; resolve(callback: ReceivedCallback): void } | null = null
  let done = false

  const server: Server = createServer((request, response) => {
    const refusal = check(request)
    if (refusal) {
      options.onRefused?.(refusal.reason)
      page(response, refusal)
      return
    }
    const url = new URL(request.url ?? '/', `http://${HOST}:${options.port}`)
    const state = url.searchParams.getAll('state')
    if (done || !expected) {
      page(response, { status: 409, title: 'Nothing to complete', message: 'No sign-in is waiting here.' })
      return
    }
    if (state.length !== 1 || !sameSecret(state[0] as string, expected.state)) {
      options.onRefused?.('a callback that does not belong to this sign-in (wrong state)')
      page(response, {
        status: 400,
        title: 'Not this sign-in',
        message: 'This link does not belong to the sign-in waiting in your terminal. Nothing was changed.',
      })
      return
    }
    done = true
    expected.resolve({ url, respond: (result) => page(response, result) })
  })

  function check(request: IncomingMessage): (CallbackPage & { reason: string }) | null {
    const path = (request.url ?? '').split('?', 1)[0]
    if (request.headers.host !== `${HOST}:${options.port}`) {
      return {
        status: 421,
        title: 'Wrong address',
        message: 'Use the address the sign-in gave.',
        reason: 'a request for another host name',
      }
    }
    if (path !== '/callback') {
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
    const origin = request.headers.origin
    if (origin !== undefined && origin !== options.workfrontOrigin) {
      return { ...CROSS_SITE, reason: `a callback from another origin (${printable(origin)})` }
    }
    const mode = request.headers['sec-fetch-mode']
    const dest = request.headers['sec-fetch-dest']
    if ((mode !== undefined && mode !== 'navigate') || (dest !== undefined && dest !== 'document')) {
      return {
        ...CROSS_SITE,
        reason: `a callback that is not a page load (fetch mode ${printable(mode ?? 'none')}, destination ${printable(dest ?? 'none')})`,
      }
    }
    return null
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
    waitForCallback(state, signal) {
      return new Promise<ReceivedCallback>((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        signal.addEventListener('abort', () => reject(signal.reason), { once: true })
        expected = { state, resolve }
      })
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

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

function page(response: ServerResponse, result: CallbackPage): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHTML(result.title)} · workfront</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}</style></head>
<body><h1>${escapeHTML(result.title)}</h1><p>${escapeHTML(result.message)}</p></body></html>`
  response.writeHead(result.status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    // The callback URL holds the code: keep it out of other sites' logs.
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'X-Content-Type-Options': 'nosniff',
    Connection: 'close',
  })
  response.end(html)
}

function escapeHTML(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  )
}
