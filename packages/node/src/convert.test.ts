/**
 * The conversion on real sockets: what a Node server receives becomes the `Request` the core reads (an
 * absolute URL at the app's origin, every header, the body, streamed or already parsed), and a `Response`
 * goes out whole (status, each `Set-Cookie` line, a streamed body, none for HEAD). Requests are sent with
 * `node:http` so that the target and `Host` can be anything a client may send.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { request as httpRequest } from 'node:http'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { toNodeHandler } from './bridge.ts'
import type { NodeRequest } from './convert.ts'
import { nodeRequestURL, toWebRequest, writeWebResponse } from './convert.ts'
import { requireAuth } from './express.ts'
import { inProcessAuth, listen } from './test/support.ts'

const ORIGIN = 'https://app.example.com'
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

/** One raw HTTP exchange: any target, any headers (including `Host`), the answer's status, headers, body. */
function send(
  port: number,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (chunk: string) => {
          body += chunk
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A server that answers what the conversion made of each request, as JSON. */
async function echoServer(prepare?: (req: NodeRequest) => void | Promise<void>) {
  const server = await listen(async (req: IncomingMessage, res: ServerResponse) => {
    const nodeReq = req as NodeRequest
    await prepare?.(nodeReq)
    const request = toWebRequest(nodeReq, nodeRequestURL(nodeReq, { origin: ORIGIN, trustHost: false }))
    const body = request.body ? await request.text() : null
    await writeWebResponse(
      res,
      Response.json({ url: request.url, method: request.method, headers: [...request.headers], body }),
    )
  })
  closers.push(server.close)
  return server
}

describe('IncomingMessage → Request', () => {
  it('puts the relative target at the configured origin, never at the Host the client sent', async () => {
    const { port } = await echoServer()
    const answer = await send(port, {
      path: '/auth/callback?code=c&state=s',
      headers: { host: 'evil.example' },
    })
    expect(JSON.parse(answer.body).url).toBe('https://app.example.com/auth/callback?code=c&state=s')
    const absolute = await send(port, { path: 'http://evil.example/auth/login?returnTo=/x' })
    expect(JSON.parse(absolute.body).url).toBe('https://app.example.com/auth/login?returnTo=/x')
  })

  it("reads Express's originalUrl, which survives a router's mount path", async () => {
    const { port } = await echoServer((req) => {
      req.originalUrl = req.url
      req.url = '/login'
    })
    const answer = await send(port, { path: '/auth/login' })
    expect(JSON.parse(answer.body).url).toBe('https://app.example.com/auth/login')
  })

  it('keeps every header line, repeated ones too', async () => {
    const { port } = await echoServer()
    const answer = await send(port, {
      path: '/',
      headers: { 'x-one': 'a', accept: 'text/html', cookie: 'a=1' },
    })
    const headers = new Map(JSON.parse(answer.body).headers as Array<[string, string]>)
    expect(headers.get('x-one')).toBe('a')
    expect(headers.get('accept')).toBe('text/html')
    expect(headers.get('cookie')).toBe('a=1')
  })

  it('streams the body of a POST, and writes out again one a parser already read', async () => {
    const { port } = await echoServer()
    const streamed = await send(port, {
      method: 'POST',
      path: '/x',
      headers: { 'content-type': 'text/plain' },
      body: 'hello body',
    })
    expect(JSON.parse(streamed.body)).toMatchObject({ method: 'POST', body: 'hello body' })

    const parsed = await echoServer(async (req) => {
      for await (const _ of req) {
        // a body parser: reads the stream, leaves the fields
      }
      req.body = { returnTo: '/a b', tags: ['x', 'y'] }
    })
    const form = await send(parsed.port, {
      method: 'POST',
      path: '/x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'ignored',
    })
    expect(JSON.parse(form.body).body).toBe('returnTo=%2Fa+b&tags=x&tags=y')
    const json = await send(parsed.port, {
      method: 'POST',
      path: '/x',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(JSON.parse(JSON.parse(json.body).body)).toEqual({ returnTo: '/a b', tags: ['x', 'y'] })
  })
})

describe('Response → ServerResponse', () => {
  async function responder(make: () => Response, before?: (res: ServerResponse) => void) {
    const server = await listen(async (req, res) => {
      before?.(res)
      await writeWebResponse(res, make(), req.method)
    })
    closers.push(server.close)
    return server
  }

  it('writes each Set-Cookie line on its own, after the ones the app set', async () => {
    const { port } = await responder(
      () => {
        const headers = new Headers({ location: '/next' })
        headers.append('set-cookie', 'a=1; Path=/; HttpOnly')
        headers.append('set-cookie', 'b=2; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT')
        return new Response(null, { status: 302, headers })
      },
      (res) => res.setHeader('set-cookie', 'app=0'),
    )
    const answer = await send(port, { path: '/' })
    expect(answer.status).toBe(302)
    expect(answer.headers.location).toBe('/next')
    expect(answer.headers['set-cookie']).toEqual([
      'app=0',
      'a=1; Path=/; HttpOnly',
      'b=2; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
    ])
  })

  it('streams a body chunk by chunk, and sends none for HEAD', async () => {
    const chunks = ['one ', 'two ', 'three']
    const { port } = await responder(
      () =>
        new Response(
          new ReadableStream({
            async pull(controller) {
              const next = chunks.shift()
              if (next === undefined) controller.close()
              else controller.enqueue(new TextEncoder().encode(next))
            },
          }),
          { status: 200, headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' } },
        ),
    )
    const answer = await send(port, { path: '/' })
    expect(answer).toMatchObject({ status: 200, body: 'one two three' })
    expect(answer.headers['cache-control']).toBe('no-store')
    chunks.push('again')
    const head = await send(port, { method: 'HEAD', path: '/' })
    expect(head).toMatchObject({ status: 200, body: '' })
    expect(head.headers['content-type']).toBe('text/plain')
  })
})

describe('bad requests get a typed 400, never a 500', () => {
  it('a Host that is no host name (when trusted), and a target that is no path', async () => {
    const { auth } = inProcessAuth(ORIGIN)
    const trusting = await listen(toNodeHandler(auth, { trustHost: true }))
    closers.push(trusting.close)
    for (const host of ['evil.example/path', 'a@b', 'x:99999999']) {
      const answer = await send(trusting.port, { path: '/auth/login', headers: { host } })
      expect(answer.status).toBe(400)
      expect(JSON.parse(answer.body)).toEqual({ error: { code: 'bad_request', message: expect.any(String) } })
      expect(answer.headers['cache-control']).toBe('no-store')
    }
    const html = await send(trusting.port, {
      path: '/auth/login',
      headers: { host: 'a@b', accept: 'text/html' },
    })
    expect(html.status).toBe(400)
    expect(html.body).toContain('Bad request')
    // A trusted, valid Host is the request's host (here the redirect URI stays the configured one).
    const good = await send(trusting.port, { path: '/auth/login', headers: { host: 'app.example.com' } })
    expect(good.status).toBe(302)

    const plain = await listen(toNodeHandler(auth))
    closers.push(plain.close)
    const star = await send(plain.port, { method: 'OPTIONS', path: '*' })
    expect(star.status).toBe(400)
    expect(JSON.parse(star.body).error.code).toBe('bad_request')
  })

  it("on a protected route too: requireAuth answers a bad Host 400, and reads an absolute-form target's path", async () => {
    const { auth } = inProcessAuth(ORIGIN)
    const app = express()
    app.get('/private', requireAuth(auth, { trustHost: true }), (_req, res) => void res.send('secret'))
    app.get('/page', requireAuth(auth), (_req, res) => void res.send('secret'))
    const server = await listen(app)
    closers.push(server.close)
    const bad = await send(server.port, { path: '/private', headers: { host: 'a b' } })
    expect(bad.status).toBe(400)
    expect(JSON.parse(bad.body).error.code).toBe('bad_request')
    const absolute = await send(server.port, { path: 'http://evil.example/page?x=1' })
    expect(absolute.status).toBe(302)
    expect(absolute.headers.location).toBe('/auth/login?returnTo=%2Fpage%3Fx%3D1')
  })
})
