import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@workfront-oauth/test-kit/node'
import { build } from 'tsdown'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { authorizeURL, basic, USER, WEB } from './test-support'
import { completeAuthorization } from './testing'
import type { TokenResponse } from './types'

const packageRoot = fileURLToPath(new URL('..', import.meta.url))
const EXTRA_REDIRECTS = ['http://127.0.0.1:3000/auth/callback', 'https://app.example.com/auth/callback']

/** Resolves with stdout once the server prints its URL; rejects if it exits first. */
function waitForListening(child: ChildProcess, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = ''
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (chunk: string) => {
      output += chunk
      if (output.includes('user ')) resolve(output)
    })
    child.once('exit', (code) =>
      reject(new Error(`node entry exited early with ${code}: ${output}${stderr()}`)),
    )
  })
}

describe('Node entry (src/node.ts built and run as a child process)', () => {
  let outDir: string
  let child: ChildProcess
  let origin: string
  let banner: string
  let stderr = ''

  beforeAll(async () => {
    // Built into its own folder so the test never races `tsdown` writing dist/ in another task.
    outDir = await mkdtemp(join(packageRoot, 'node_modules', '.node-entry-test-'))
    await build({
      config: false,
      cwd: packageRoot,
      entry: { node: 'src/node.ts' },
      outDir,
      format: 'esm',
      platform: 'node',
      fixedExtension: false,
      dts: false,
      logLevel: 'error',
    })
    const port = await freePort()
    origin = `http://127.0.0.1:${port}`
    child = spawn(process.execPath, [join(outDir, 'node.js')], {
      env: { ...process.env, PORT: String(port), WORKFRONT_MOCK_REDIRECT_URIS: EXTRA_REDIRECTS.join(',') },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk
    })
    banner = await waitForListening(child, () => stderr)
  })

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    }
    if (outDir) await rm(outDir, { recursive: true, force: true })
  })

  it('prints its URL and the demo credentials', () => {
    expect(banner).toContain(`listening on ${origin}`)
    expect(banner).toContain('client_id=demo-client client_secret=demo-secret')
    expect(banner).toContain('demo@acme.test / demo')
  })

  it('serves a full code flow over real HTTP', async () => {
    const http = { fetch: (request: Request) => fetch(request) }
    const start = new URL(
      authorizeURL({
        client_id: WEB.clientId,
        redirect_uri: WEB.redirectUri,
        response_type: 'code',
        state: 'n',
      }),
    )
    const callback = await completeAuthorization(
      http,
      new URL(`${start.pathname}${start.search}`, origin),
      USER,
    )
    expect(callback.searchParams.get('state')).toBe('n')

    const token = await fetch(`${origin}/integrations/oauth2/api/v1/token`, {
      method: 'POST',
      headers: { Authorization: basic(WEB.clientId, WEB.secret), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        code: callback.searchParams.get('code'),
        grant_type: 'authorization_code',
        redirect_uri: WEB.redirectUri,
      }),
    })
    expect(token.status).toBe(200)
    const tokens = (await token.json()) as TokenResponse
    const session = await fetch(`${origin}/attask/api/v21.0/session`, {
      headers: { sessionID: tokens.access_token },
    })
    expect(session.status).toBe(200)
  })

  it('registers the redirect URIs of WORKFRONT_MOCK_REDIRECT_URIS for both demo apps, and only those', async () => {
    expect(banner).toContain(`also ${EXTRA_REDIRECTS.join(', ')}`)
    const page = (clientId: string, redirect: string) => {
      const url = authorizeURL({
        client_id: clientId,
        redirect_uri: redirect,
        response_type: 'code',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      })
      return fetch(`${origin}${url.pathname}${url.search}`)
    }
    for (const redirect of EXTRA_REDIRECTS) {
      expect((await page('demo-client', redirect)).status).toBe(200)
      expect((await page('demo-spa-client', redirect)).status).toBe(200)
    }
    expect((await page('demo-client', 'http://127.0.0.1:3001/auth/callback')).status).toBe(400)
  })

  it('refuses a malformed WORKFRONT_MOCK_REDIRECT_URIS, naming the variable', async () => {
    const bad = spawn(process.execPath, [join(outDir, 'node.js')], {
      env: { ...process.env, PORT: String(await freePort()), WORKFRONT_MOCK_REDIRECT_URIS: 'not a url' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    bad.stderr?.setEncoding('utf8')
    bad.stderr?.on('data', (chunk: string) => {
      output += chunk
    })
    const [code] = await once(bad, 'exit')
    expect(code).toBe(1)
    expect(output).toContain('WORKFRONT_MOCK_REDIRECT_URIS: "not a url" is not an absolute http(s) URL')
  })

  it('destroys the socket on an injected reset, and keeps serving', async () => {
    const armed = await fetch(`${origin}/__mock/failures`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ endpoint: 'api', kind: 'reset' }),
    })
    expect(armed.status).toBe(200)
    const error = await fetch(`${origin}/attask/api/v21.0/session`).then(
      () => undefined,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(TypeError)
    const counters = await fetch(`${origin}/__mock/counters`)
    expect(counters.status).toBe(200)
    expect(stderr).toBe('')
  })

  it('stops on SIGTERM', async () => {
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const [code] = await exited
    expect(code).toBe(0)
  })
})
