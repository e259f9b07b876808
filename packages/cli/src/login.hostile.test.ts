/**
 * The loopback redirect under hostile input. Every web page the user has open can reach
 * `http://127.0.0.1:<port>/callback`: a request with the wrong `state`, from another origin (a page's fetch,
 * a form post, a rebound DNS name) or for another path is refused with an error page — and the sign-in in
 * progress keeps waiting and completes. A second sign-in while one is waiting is refused and leaves the first
 * alone. Also: a refused consent, and a browser that cannot be opened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockServer } from './test/support.ts'
import {
  consent,
  isProcessRunning,
  openStartPage,
  PUBLIC_CLIENT,
  rawGet,
  runCLI,
  SIGN_IN_URL,
  startCLI,
  startMockServer,
  tempConfigDir,
} from './test/support.ts'

let server: MockServer
let config: Awaited<ReturnType<typeof tempConfigDir>>
let env: Record<string, string>

beforeAll(async () => {
  server = await startMockServer(2)
  config = await tempConfigDir()
  env = { WORKFRONT_CONFIG_DIR: config.dir }
})

afterAll(async () => {
  await server?.close()
  await config?.remove()
})

/** The start page, the mock's forms and the callback, as the user's browser goes through them: its status. */
async function completeSignIn(startURL: string): Promise<number> {
  const { authorizeURL, cookie } = await openStartPage(startURL)
  return (await rawGet(await consent(server.mock, authorizeURL), { Cookie: cookie })).status
}

const loginArgs = (port: number, ...more: string[]): string[] => [
  'login',
  '--tenant',
  server.origin,
  '--client-id',
  PUBLIC_CLIENT,
  '--port',
  String(port),
  ...more,
]

describe('the loopback redirect under hostile input', () => {
  it('refuses wrong states, other origins, other hosts, other methods and a second login; then completes', async () => {
    const port = server.ports[0] as number
    const login = startCLI(loginArgs(port, '--no-browser'), env)
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    const { authorizeURL, cookie } = await openStartPage(url as string)
    const state = new URL(authorizeURL).searchParams.get('state') as string
    const callback = await consent(server.mock, authorizeURL)
    expect(callback.searchParams.get('state')).toBe(state)
    const base = `http://127.0.0.1:${port}`
    const withState = (s: string): string =>
      `${base}/callback?code=attacker-code&domain=acme&lane=my&state=${s}`

    // A callback that is not this sign-in's.
    const wrong = await rawGet(withState('not-the-state'))
    expect(wrong.status).toBe(400)
    expect(wrong.body).toContain('does not belong to the sign-in waiting in your terminal')
    expect((await rawGet(`${base}/callback?code=x`)).status).toBe(400)
    expect((await rawGet(`${withState(state)}&state=${state}`)).status).toBe(400)
    await login.waitForStderr(
      /Refused a callback that does not belong to this sign-in \(wrong state\); still waiting\./,
    )

    // The right state (leaked), but not from a top-level navigation coming back from Workfront.
    const crossSite = await rawGet(withState(state), { Origin: 'https://evil.example' })
    expect(crossSite.status).toBe(403)
    await login.waitForStderr(/Refused a request from another origin \(https:\/\/evil\.example\)/)
    expect(
      (await rawGet(withState(state), { 'Sec-Fetch-Mode': 'no-cors', 'Sec-Fetch-Dest': 'image' })).status,
    ).toBe(403)
    expect((await rawGet(withState(state), { 'Sec-Fetch-Mode': 'cors' })).status).toBe(403)
    expect((await rawGet(withState(state), { Host: `rebound.example:${port}` })).status).toBe(421)
    expect((await rawGet(withState(state), {}, 'POST')).status).toBe(405)
    expect((await rawGet(`${base}/other?state=${state}`)).status).toBe(404)
    // Terminal escape sequences from a request never reach the terminal.
    await rawGet(withState(state), { Origin: 'https://evil.example\u001b]0;owned\u0007' }).catch(
      () => undefined,
    )

    // A second sign-in of the same profile, and one of another profile on the same port.
    const second = await runCLI(loginArgs(port, '--no-browser'), env)
    expect(second.code).toBe(6)
    expect(second.stderr).toContain('A sign-in for profile default is already waiting')
    const otherProfile = await runCLI(loginArgs(port, '--no-browser', '--profile', 'other'), env)
    expect(otherProfile.code).toBe(6)
    expect(otherProfile.stderr).toContain(`Port ${port} on 127.0.0.1 is in use`)
    expect(isProcessRunning(login.child)).toBe(true)

    // The real callback, as a browser's navigation sends it, still completes the sign-in.
    const real = await rawGet(callback, {
      'Sec-Fetch-Mode': 'navigate',
      'Sec-Fetch-Dest': 'document',
      Cookie: cookie,
    })
    expect(real.status).toBe(200)
    expect(real.body).toContain('Signed in to')
    expect(real.headers['referrer-policy']).toBe('no-referrer')
    expect(real.headers['cache-control']).toBe('no-store')
    const done = await login.finished
    expect(done.code).toBe(0)
    expect(done.stdout).toContain('as Dana Demo (demo@acme.test)')
    expect(done.stderr).not.toContain('\u001b]0;owned')
    expect(done.stderr).not.toContain('attacker-code')
    // The attacker's code never reached Workfront: one code exchange, the user's.
    expect(server.mock.counters().tokenCalls.authorization_code).toBe(1)
    // Once done, the port is free again and another sign-in may start.
    const again = await runCLI(loginArgs(port, '--no-browser', '--timeout', '1'), env)
    expect(again.code).toBe(6)
    expect(again.stderr).toContain('No sign-in came back within 1 s')
  })

  it('exits 6 when the user refuses consent, and shows the error page', async () => {
    const port = server.ports[1] as number
    const login = startCLI(loginArgs(port, '--no-browser', '--profile', 'deny'), env)
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    const { authorizeURL, cookie } = await openStartPage(url as string)
    const callback = await consent(server.mock, authorizeURL, 'deny')
    const page = await rawGet(callback, { Cookie: cookie })
    expect(page.status).toBe(400)
    expect(page.body).toContain('Sign-in failed')
    const done = await login.finished
    expect(done.code).toBe(6)
    expect(done.stderr).toContain('workfront: ')
    expect((await runCLI(['token', '--profile', 'deny'], env)).code).toBe(4)
  })

  it('prints the URL when the browser cannot be opened, and the sign-in still completes', async () => {
    const port = server.ports[1] as number
    const login = startCLI(loginArgs(port, '--profile', 'nobrowser'), {
      ...env,
      BROWSER: '/nonexistent/browser',
    })
    await login.waitForStderr(
      /Could not open a browser \(\/nonexistent\/browser was not found\)\. Open this URL/,
    )
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    expect(await completeSignIn(url as string)).toBe(200)
    expect((await login.finished).code).toBe(0)
  })

  it('Ctrl-C ends a waiting sign-in with exit 130, frees the port and the profile for the next one', async () => {
    const port = server.ports[1] as number
    const login = startCLI(loginArgs(port, '--no-browser', '--profile', 'cancel'), env)
    await login.waitForStderr(SIGN_IN_URL)
    login.child.kill('SIGINT')
    const done = await login.finished
    expect(done.code).toBe(130)
    expect(done.stderr).toContain('The sign-in was cancelled; nothing was changed')
    const next = startCLI(loginArgs(port, '--no-browser', '--profile', 'cancel'), env)
    const [, url] = await next.waitForStderr(SIGN_IN_URL)
    expect(await completeSignIn(url as string)).toBe(200)
    expect((await next.finished).code).toBe(0)
  })

  it('exits 5 when the code exchange cannot reach Workfront, and nothing is saved', async () => {
    const port = server.ports[1] as number
    const login = startCLI(loginArgs(port, '--no-browser', '--profile', 'unreachable'), env)
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    const { authorizeURL, cookie } = await openStartPage(url as string)
    const callback = await consent(server.mock, authorizeURL)
    server.mock.injectFailure({ endpoint: 'token', kind: 'reset', grantType: 'authorization_code' })
    expect((await rawGet(callback, { Cookie: cookie })).status).toBe(400)
    const done = await login.finished
    expect(done.code).toBe(5)
    expect(done.stderr).toContain('Check the network')
    expect((await runCLI(['status', '--profile', 'unreachable'], env)).code).toBe(4)
  })
})
