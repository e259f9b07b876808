/**
 * A fetch-shaped HTTP client over `node:http` with a bounded keep-alive pool. The storm gives the same one
 * to our library (its `http` port) and to the baseline (openid-client's `customFetch`, and the API calls),
 * so both talk to the mock through identical sockets. The bound keeps 10 000 concurrent requests from
 * opening 10 000 connections to one mock process: they queue in the pool instead, as in a real app with a
 * sized connection pool.
 */
import { Agent, request } from 'node:http'

export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

export interface HTTPPort {
  fetch: FetchLike
  close(): void
}

const NULL_BODY = new Set([101, 204, 205, 304])

export function createHTTPPort(options: { maxSockets: number; timeoutMs: number }): HTTPPort {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets })

  async function send(input: Request | string | URL, init: RequestInit = {}): Promise<Response> {
    let url: string
    let method: string
    let headers: Headers
    let body: string | Uint8Array | undefined
    if (input instanceof Request) {
      url = input.url
      method = init.method ?? input.method
      headers = new Headers(init.headers ?? input.headers)
      body =
        init.body === undefined && input.body !== null
          ? new Uint8Array(await input.arrayBuffer())
          : toBody(init.body)
    } else {
      url = String(input)
      method = init.method ?? 'GET'
      headers = new Headers(init.headers)
      body = toBody(init.body)
    }
    const signal = init.signal ?? undefined
    signal?.throwIfAborted()
    return new Promise<Response>((resolve, reject) => {
      const outgoing = request(
        url,
        { method, headers: Object.fromEntries(headers), agent, timeout: options.timeoutMs },
        (incoming) => {
          const chunks: Buffer[] = []
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
          incoming.once('error', (error) => reject(new TypeError('fetch failed', { cause: error })))
          incoming.once('end', () => {
            const responseHeaders = new Headers()
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (Array.isArray(value)) for (const item of value) responseHeaders.append(name, item)
              else if (value !== undefined) responseHeaders.set(name, value)
            }
            const status = incoming.statusCode ?? 500
            resolve(
              new Response(NULL_BODY.has(status) ? null : Buffer.concat(chunks), {
                status,
                statusText: incoming.statusMessage ?? '',
                headers: responseHeaders,
              }),
            )
          })
        },
      )
      outgoing.once('timeout', () => outgoing.destroy(new Error(`no answer within ${options.timeoutMs} ms`)))
      outgoing.once('error', (error) => reject(new TypeError('fetch failed', { cause: error })))
      signal?.addEventListener('abort', () => outgoing.destroy(signal.reason as Error), { once: true })
      outgoing.end(body)
    })
  }

  return { fetch: send, close: () => agent.destroy() }
}

function toBody(body: RequestInit['body']): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string') return body
  if (body instanceof URLSearchParams) return body.toString()
  if (body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  throw new TypeError('This HTTP port sends string and byte bodies only')
}
