/**
 * The command line end to end, as a user runs it: the built `workfront` in child processes, the Workfront
 * mock over HTTP on a free port, and a real headless Chromium completing the mock's login and consent pages
 * and coming back to the CLI's loopback redirect. Chromium is Debian's (`apt-get install -y chromium`);
 * without it these tests fail, they never skip.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { ACTION_GUARD_MS, signInAtMock } from '@workfront-oauth/test-kit/node'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockServer, Opener } from './test/support.ts'
import {
  DEMO_USER,
  isProcessRunning,
  launchChromium,
  runCLI,
  SIGN_IN_URL,
  startCLI,
  startMockServer,
  startOpener,
  tempConfigDir,
  WEB_CLIENT,
  WEB_SECRET,
} from './test/support.ts'

let server: MockServer
let browser: Browser
let config: Awaited<ReturnType<typeof tempConfigDir>>
let env: Record<string, string>
let opener: Opener
let otherSite: string

beforeAll(async () => {
  browser = await launchChromium()
  server = await startMockServer(3)
  config = await tempConfigDir()
  // The test's `$BROWSER`; its origin is also "another site" for the cross-origin test.
  opener = await startOpener()
  otherSite = `${opener.origin}/`
  env = { WORKFRONT_CONFIG_DIR: config.dir, BROWSER: opener.command }
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await opener?.close()
  await config?.remove()
})

/** A person in Chromium: signs in on the mock's login page and allows the app on its consent page. */
async function signInAndAllow(page: Page, url: string): Promise<string> {
  await page.goto(url)
  await signInAtMock(page, DEMO_USER)
  await page.waitForURL('http://127.0.0.1:*/callback?**')
  return (await page.locator('body').textContent()) ?? ''
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name))
}

describe('workfront against the Workfront mock', () => {
  it('login opens the browser ($BROWSER); Chromium consents; then token, api, whoami, status, logout', async () => {
    const port = server.ports[0] as number
    const opened = opener.next()
    const login = startCLI(
      ['login', '--tenant', server.origin, '--client-id', 'cli-public', '--port', String(port)],
      env,
    )
    const url = await opened
    // The opener gets the loopback start page (its command line is readable by every user), never the state.
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/start/[\\w-]{22}$`))
    const page = await browser.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    try {
      const authorize = page.waitForRequest(`${server.origin}/integrations/oauth2/authorize?**`)
      const text = await signInAndAllow(page, url)
      const authorizeURL = new URL((await authorize).url())
      expect(authorizeURL.searchParams.get('redirect_uri')).toBe(`http://127.0.0.1:${port}/callback`)
      expect(authorizeURL.searchParams.get('code_challenge_method')).toBe('S256')
      expect(text).toContain(`Signed in to ${new URL(server.origin).host} as Dana Demo (demo@acme.test)`)
    } finally {
      await page.close()
    }
    const done = await login.finished
    expect(done.stderr).toContain('Opening your browser to sign in to')
    expect(done.stderr).toContain(`Waiting for the sign-in to come back to http://127.0.0.1:${port}/callback`)
    expect(done.stdout).toBe(
      `✓ Signed in to ${new URL(server.origin).host} as Dana Demo (demo@acme.test) (profile default)\n`,
    )
    expect(done.code).toBe(0)

    // token: a session Workfront accepts.
    const token = await runCLI(['token'], env)
    expect(token.code).toBe(0)
    const sessionID = token.stdout.trim()
    expect(sessionID).toMatch(/^[0-9a-f]{32}$/)
    const session = await fetch(`${server.origin}/attask/api/v21.0/session`, { headers: { sessionID } })
    expect(session.status).toBe(200)

    // api: raw JSON when piped, with -f query parameters.
    const search = await runCLI(['api', 'proj/search', '-f', 'status=CUR', '-f', 'fields=status'], env)
    expect(search.code).toBe(0)
    const projects = JSON.parse(search.stdout) as { data: Array<{ status: string }> }
    expect(projects.data.length).toBeGreaterThan(0)
    expect(projects.data.every((p) => p.status === 'CUR')).toBe(true)
    const all = JSON.parse((await runCLI(['api', 'proj/search'], env)).stdout) as { data: unknown[] }
    expect(all.data.length).toBe(12)

    const whoami = await runCLI(['whoami'], env)
    expect(whoami.stdout).toBe(
      `Dana Demo (demo@acme.test) on ${new URL(server.origin).host} (profile default)\n`,
    )
    const status = await runCLI(['status', '--json'], env)
    expect(status.code).toBe(0)
    expect(JSON.parse(status.stdout)).toMatchObject([
      { profile: 'default', state: 'signed in', clientId: 'cli-public' },
    ])

    // At rest: every file is 0600, and no token is written in clear.
    for (const file of await filesUnder(config.dir)) {
      expect({ file, mode: (await stat(file)).mode & 0o777 }).toEqual({ file, mode: 0o600 })
      expect(await readFile(file, 'utf8')).not.toContain(sessionID)
    }

    const logout = await runCLI(['logout'], env)
    expect(logout.code).toBe(0)
    expect(logout.stdout).toContain('The Workfront session was ended and the tokens were deleted')
    const ended = await fetch(`${server.origin}/attask/api/v21.0/session`, { headers: { sessionID } })
    expect(ended.status).toBe(401)
    const after = await runCLI(['token'], env)
    expect(after.code).toBe(4)
    expect(after.stderr).toBe('workfront: Profile default is signed out\nSign in with: workfront login\n')
  })

  it('login --no-browser prints the URL; a Web application signs in with the secret from the environment', async () => {
    const port = server.ports[1] as number
    const webEnv = { ...env, WORKFRONT_CLIENT_SECRET: WEB_SECRET }
    const login = startCLI(
      [
        'login',
        '--no-browser',
        '--profile',
        'web',
        '--tenant',
        server.origin,
        '--client-id',
        WEB_CLIENT,
        '--port',
        String(port),
      ],
      webEnv,
    )
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    const page = await browser.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    try {
      const authorize = page.waitForRequest(`${server.origin}/integrations/oauth2/authorize?**`)
      expect(await signInAndAllow(page, url as string)).toContain('Signed in to')
      expect(new URL((await authorize).url()).searchParams.get('client_id')).toBe(WEB_CLIENT)
    } finally {
      await page.close()
    }
    const done = await login.finished
    expect(done.code).toBe(0)
    expect(done.stderr).not.toContain('Opening your browser')
    expect(done.stderr).not.toContain(WEB_SECRET)

    const token = await runCLI(['token', '--profile', 'web', '--json'], webEnv)
    expect(token.code).toBe(0)
    expect(JSON.parse(token.stdout)).toMatchObject({ profile: 'web', tokenType: 'sessionID' })
    // The secret is needed for every refresh: without it, a clear error and no request.
    const noSecret = await runCLI(['token', '--profile', 'web'], env)
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toContain('set WORKFRONT_CLIENT_SECRET (or WORKFRONT_CLIENT_SECRET_WEB)')
    // A wrong secret: Workfront refuses the app itself when the session has to be refreshed.
    server.mock.expireAllSessions()
    const wrong = await runCLI(['token', '--profile', 'web', '--json'], {
      ...env,
      WORKFRONT_CLIENT_SECRET_WEB: 'not-the-secret',
    })
    expect(wrong.code).toBe(2)
    expect(JSON.parse(wrong.stderr)).toMatchObject({ error: { code: 'client_rejected' } })
    expect(wrong.stderr).not.toContain('not-the-secret')
    expect((await runCLI(['token', '--profile', 'web'], webEnv)).code).toBe(0)
  })

  it('refuses a callback that a page of another site sends from the browser; the sign-in still completes', async () => {
    const port = server.ports[2] as number
    const login = startCLI(
      [
        'login',
        '--no-browser',
        '--profile',
        'cross',
        '--tenant',
        server.origin,
        '--client-id',
        'cli-public',
        '--port',
        String(port),
      ],
      env,
    )
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    const page = await browser.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    try {
      // The user's browser opens the start page (and gets its cookie); Workfront's page is left there.
      await page.goto(url as string)
      const authorizeURL = page.url()
      const state = new URL(authorizeURL).searchParams.get('state') as string
      // A page of another origin that knows the state fires the callback with its own code: a fetch and an image.
      await page.goto(otherSite)
      await page.evaluate(async (target) => {
        await fetch(target, { mode: 'no-cors' }).catch(() => undefined)
        await new Promise((resolve) => {
          const image = new Image()
          image.onload = image.onerror = resolve
          image.src = `${target}&image=1`
        })
      }, `http://127.0.0.1:${port}/callback?code=planted&domain=acme&lane=my&state=${state}`)
      await login.waitForStderr(
        /Refused a request that is not a page load \(fetch mode no-cors, destination empty\)/,
      )
      await login.waitForStderr(
        /Refused a request that is not a page load \(fetch mode no-cors, destination image\)/,
      )
      expect(isProcessRunning(login.child)).toBe(true)
      expect(await signInAndAllow(page, authorizeURL)).toContain('Signed in to')
    } finally {
      await page.close()
    }
    const done = await login.finished
    expect(done.code).toBe(0)
    expect(done.stdout).toContain('(profile cross)')
  })
})
