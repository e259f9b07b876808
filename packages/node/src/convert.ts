/**
 * The one conversion between Node's HTTP objects and the core's Web-standard handler, shared by every
 * binding of this package (node:http, Express, Fastify, Koa): `IncomingMessage` → `Request` at the app's
 * absolute URL, with its body (also one a body parser already read), and `Response` → `ServerResponse`, with
 * its status, every `Set-Cookie` line and a streamed body. No rule of the sign-in lives here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { HeadersInput, WebRequest } from '@workfront-oauth/core/adapters'
import { absoluteRequestURL, headerValue } from '@workfront-oauth/core/adapters'

/** Where a request's absolute URL comes from (see `NodeBridgeOptions`). */
export interface URLSource {
  /** The app's public origin. */
  origin: string
  /** Take the host from the `Host` header (checked) instead of `origin`. */
  trustHost: boolean
}

/** Node's request as the bridge reads it: Express and Connect add `originalUrl` and, with a parser, `body`. */
export type NodeRequest = IncomingMessage & { originalUrl?: string; body?: unknown }

/** The request target as the client sent it: Express's `originalUrl` survives its routers' mount paths. */
export function requestTarget(req: NodeRequest): string {
  return req.originalUrl ?? req.url ?? '/'
}

/** The request's absolute URL at the app's origin; a bad target or trusted `Host` throws `bad_request`. */
export function nodeRequestURL(req: NodeRequest, source: URLSource): URL {
  const host = source.trustHost ? (headerValue(req.headers, 'host') ?? null) : null
  return absoluteRequestURL(requestTarget(req), { origin: source.origin, host })
}

/**
 * What the core's guard and error answers read (URL, method, headers), without building a `Request`: the
 * headers are read from Node's object as they are asked for. This runs on every protected request.
 */
export function nodeWebRequest(
  req: NodeRequest,
  url: string | (() => string),
): WebRequest & { headers: HeadersInput } {
  const headers = req.headers
  let href = typeof url === 'string' ? url : undefined
  return {
    // Built when asked for: a signed-in request never needs it.
    get url() {
      href ??= (url as () => string)()
      return href
    },
    method: req.method ?? 'GET',
    headers: { get: (name: string) => headerValue(headers, name) },
  }
}

/**
 * The request's absolute URL, or a function that builds it: when it cannot fail (an origin-form target and
 * no `Host` to check), it is built only if someone asks; else now, so that a bad one throws here.
 */
export function lazyRequestURL(req: NodeRequest, source: URLSource): string | (() => string) {
  if (!source.trustHost && requestTarget(req).startsWith('/')) return () => nodeRequestURL(req, source).href
  return nodeRequestURL(req, source).href
}

/** A request whose target could not be read, for answering it: the app's home with its headers. */
export function fallbackWebRequest(req: NodeRequest, source: URLSource): WebRequest {
  return nodeWebRequest(req, new URL('/', source.origin).href)
}

/** A Web `Request` of Node's request: method, every header line, and the body for methods that have one. */
export function toWebRequest(req: NodeRequest, url: URL): Request {
  const method = req.method ?? 'GET'
  const headers = new Headers()
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string
    // HTTP/2 pseudo-headers (`:path`…) are not headers of a Fetch request.
    if (!name.startsWith(':')) headers.append(name, raw[i + 1] as string)
  }
  const init: RequestInit & { duplex?: 'half' } = { method, headers }
  if (method !== 'GET' && method !== 'HEAD') {
    if (req.body !== undefined) {
      const body = parsedBody(req.body, headers.get('content-type'))
      if (body !== null) {
        init.body = body
        // The parser consumed the stream; the length is that of the body as serialized again.
        headers.delete('content-length')
        headers.delete('transfer-encoding')
      }
    } else if (!req.readableEnded) {
      init.body = Readable.toWeb(req) as ReadableStream<Uint8Array>
      init.duplex = 'half'
    }
  }
  return new Request(url, init)
}

/**
 * A body that a parser (Express's `json()`, `urlencoded()`, `raw()`, `text()`) already read, written out
 * again in its content type: bytes and text as they are, form fields as a form, anything else as JSON.
 */
function parsedBody(body: unknown, contentType: string | null): BodyInit | null {
  if (body === null || body === undefined) return null
  if (typeof body === 'string') return body
  if (body instanceof Uint8Array) return new Uint8Array(body)
  if (typeof body !== 'object') return JSON.stringify(body)
  if ((contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams()
    for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) form.append(name, String(item))
    }
    return form
  }
  return JSON.stringify(body)
}

/**
 * Writes a Web `Response` to Node's response: status, headers (each `Set-Cookie` line on its own, after any
 * the app already set), and the body streamed with back-pressure; none for `HEAD`. A client that went away
 * mid-body ends the stream quietly.
 */
export async function writeWebResponse(
  res: ServerResponse,
  response: Response,
  method?: string,
): Promise<void> {
  res.statusCode = response.status
  for (const [name, value] of response.headers) {
    if (name !== 'set-cookie') res.setHeader(name, value)
  }
  for (const cookie of response.headers.getSetCookie()) res.appendHeader('set-cookie', cookie)
  if (response.body === null || method === 'HEAD') {
    await response.body?.cancel()
    res.end()
    return
  }
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), res)
  } catch (error) {
    if (!res.destroyed) throw error
  }
}
