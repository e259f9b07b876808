import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eventually } from '@workfront-oauth/test-kit'
import { afterEach, describe, expect, it } from 'vitest'
import { createWorkfrontOAuth } from './client.ts'
import { memoryStore } from './memory-store.ts'
import { failure } from './test/failure.ts'
import { createFakeClock } from './testing.ts'

const REDIRECT = 'https://app.example.com/auth/callback'

describe('over a real socket', () => {
  const servers: ReturnType<typeof createServer>[] = []
  afterEach(async () => {
    // closeAllConnections: an idle connection the client left open would hold close() for its keep-alive.
    await Promise.all(
      servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve) && s.closeAllConnections())),
    )
  })
  async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler)
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  it('never follows a redirect from the token endpoint, so the secret goes nowhere else', async () => {
    const elsewhere: string[] = []
    const target = await listen((req, res) => {
      elsewhere.push(req.url ?? '')
      res.end('{}')
    })
    const base = await listen((_req, res) => {
      res.writeHead(307, { location: `${target}/steal` }).end()
    })
    const oauth = createWorkfrontOAuth({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      redirectUri: REDIRECT,
      baseUrl: base,
      store: memoryStore(),
    })
    const { state } = await oauth.startLogin()
    const error = await failure(oauth.handleCallback(new URLSearchParams({ code: 'c', state })))
    expect(error.code).toBe('unexpected_response')
    expect(error.status).toBe(307)
    expect(elsewhere).toEqual([])
  })

  it('applies the token timeout to a real stalled socket', async () => {
    const clock = createFakeClock()
    let accepted = 0
    const base = await listen(() => {
      // Accepts the request and never answers.
      accepted++
    })
    const oauth = createWorkfrontOAuth({
      clientId: 'client-1',
      clientSecret: 'secret-1',
      redirectUri: REDIRECT,
      baseUrl: base,
      store: memoryStore({ clock }),
      clock,
      tokenTimeoutMs: 100,
    })
    const { state } = await oauth.startLogin()
    const pending = failure(oauth.handleCallback(new URLSearchParams({ code: 'c', state })))
    // The request reaches the socket (a real one, so wait for it), then the deadline passes on the clock.
    await eventually(() => accepted > 0)
    await clock.advanceAsync(100)
    expect((await pending).code).toBe('token_endpoint_unreachable')
  })
})
