/**
 * The sign-in's start page, against another user of the same computer. The browser opener's command line
 * (`xdg-open <url>`, the browser's own) is readable by every local user, so what the CLI opens must be worth
 * nothing to them: the loopback start page, which refuses other users' connections (Linux's socket table says
 * who opened each), answers once, and sets the cookie the callback must bring back. The tests run as root; the
 * other user is a Node process running as uid 65534 ("nobody"). Headless Chromium is the user's browser.
 *
 * Also: a flood of refused requests is summarised in the terminal, not printed line by line.
 */

import { ACTION_GUARD_MS, signInAtMock } from '@workfront-oauth/test-kit/node'
import { TOKEN_PATH } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { MockServer, Opener } from './test/support.ts'
import {
  DEMO_USER,
  isProcessRunning,
  launchChromium,
  openStartPage,
  PUBLIC_CLIENT,
  rawGet,
  rawGetAs,
  runCLI,
  SIGN_IN_URL,
  startCLI,
  startMockServer,
  startOpener,
  tempConfigDir,
} from './test/support.ts'

const OTHER = 65_534
/** Another person with a Workfront account of the same org (the mock's seed). */
const SAM = { username: 'sam@acme.test', password: 'sam-password' }
const NAVIGATION = { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' }

let server: MockServer
let browser: Browser
let config: Awaited<ReturnType<typeof tempConfigDir>>
let env: Record<string, string>
let opener: Opener
/** Set by a test to hold the code exchange until it resolves. */
let holdCodeExchange: Promise<void> | null = null

beforeAll(async () => {
  browser = await launchChromium()
  server = await startMockServer(4, {
    async intercept(request, forward) {
      if (holdCodeExchange && new URL(request.url).pathname === TOKEN_PATH) {
        const body = new URLSearchParams(await request.clone().text())
        if (body.get('grant_type') === 'authorization_code') await holdCodeExchange
      }
      return forward(request)
    },
  })
  config = await tempConfigDir()
  opener = await startOpener()
  env = { WORKFRONT_CONFIG_DIR: config.dir, BROWSER: opener.command }
})

afterAll(async () => {
  await browser?.close()
  await server?.close()
  await opener?.close()
  await config?.remove()
})

const loginArgs = (port: number, profile: string, ...more: string[]): string[] => [
  'login',
  '--tenant',
  server.origin,
  '--client-id',
  PUBLIC_CLIENT,
  '--port',
  String(port),
  '--profile',
  profile,
  ...more,
]

describe('the start page, against another user of this computer', () => {
  it('the opener gets no state; the other user who reads it is refused, a copied authorize URL too; the user signs in', async () => {
    const port = server.ports[0] as number
    server.mock.resetCounters()
    const opened = opener.next()
    const login = startCLI(loginArgs(port, 'victim'), env)
    // What every user can read in the opener's command line.
    const url = await opened
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/start/[\\w-]{22}$`))

    // The other user opens it first, as a browser would: refused, and the page stays unopened for the user.
    const theirs = await rawGetAs(OTHER, url, NAVIGATION)
    expect(theirs.status).toBe(403)
    expect(theirs.headers.location).toBeUndefined()
    expect(theirs.headers['set-cookie']).toBeUndefined()
    await login.waitForStderr(
      new RegExp(`Refused a request from another user of this computer \\(uid ${OTHER}\\)`),
    )

    const page = await browser.newPage()
    page.setDefaultTimeout(ACTION_GUARD_MS)
    try {
      await page.goto(url)
      // Workfront's sign-in page, with the state: suppose its URL is copied (a screen share, a synced history).
      const authorizeURL = page.url()
      expect(new URL(authorizeURL).searchParams.get('state')).toMatch(/^[\w-]{20,}$/)
      // Sam signs in with it as himself and sends the callback to the CLI, without the start page's cookie.
      const samsCallback = await completeAuthorization(server.mock, authorizeURL, SAM)
      const copied = await rawGet(samsCallback, NAVIGATION)
      expect(copied.status).toBe(403)
      expect(copied.body).toContain('did not open the sign-in page')
      await login.waitForStderr(/Refused a callback from a browser that did not open the sign-in page/)
      expect(isProcessRunning(login.child)).toBe(true)

      // The user signs in, in the browser that opened the start page.
      await signInAtMock(page, DEMO_USER)
      await page.waitForURL('http://127.0.0.1:*/callback?**')
      expect(await page.locator('body').textContent()).toContain('as Dana Demo')
    } finally {
      await page.close()
    }
    const done = await login.finished
    expect(done.code).toBe(0)
    expect(done.stdout).toContain('as Dana Demo (demo@acme.test) (profile victim)')
    // Sam's code never reached Workfront's token endpoint: one code exchange, the user's.
    expect(server.mock.counters().tokenCalls.authorization_code).toBe(1)
  })

  it('the start page opened a second time stops the sign-in: nothing is saved', async () => {
    const port = server.ports[1] as number
    const login = startCLI(loginArgs(port, 'twice', '--no-browser'), env)
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    // Someone (root, or where no socket table tells users apart) opened it first; then the user's browser.
    await openStartPage(url as string)
    const second = await rawGet(url as string, NAVIGATION)
    expect(second.status).toBe(409)
    expect(second.body).toContain('already opened')
    const done = await login.finished
    expect(done.code).toBe(6)
    expect(done.stderr).toContain('The sign-in page was opened twice')
    expect((await runCLI(['status', '--profile', 'twice'], env)).code).toBe(4)
  })

  it('opened a second time while the callback it led to is being completed: nothing is saved', async () => {
    const port = server.ports[2] as number
    const login = startCLI(loginArgs(port, 'race', '--no-browser'), env)
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    // The first to open it completes a sign-in at once; its code exchange is held until the user's browser
    // has opened the start page too.
    let release = (): void => undefined
    holdCodeExchange = new Promise((resolve) => {
      release = resolve
    })
    try {
      const first = await openStartPage(url as string)
      const callback = completeAuthorization(server.mock, first.authorizeURL, SAM).then((to) =>
        rawGet(to, { ...NAVIGATION, Cookie: first.cookie }),
      )
      await login.waitForStderr(/Signing in…/)
      expect((await rawGet(url as string, NAVIGATION)).status).toBe(409)
      release()
      const answer = await callback
      expect(answer.status).toBe(409)
      expect(answer.body).toContain('Sign-in stopped')
    } finally {
      release()
      holdCodeExchange = null
    }
    const done = await login.finished
    expect(done.code).toBe(6)
    expect(done.stderr).toContain('The sign-in page was opened again while the sign-in was completing')
    expect(done.stdout).toBe('')
    expect((await runCLI(['status', '--profile', 'race'], env)).code).toBe(4)
  })
})

describe('refused requests in the terminal', () => {
  it('a flood of refused requests prints a few lines and a count, not a line each', async () => {
    const port = server.ports[3] as number
    const login = startCLI(loginArgs(port, 'flood', '--no-browser'), env)
    const [, url] = await login.waitForStderr(SIGN_IN_URL)
    const FLOOD = 300
    // Four at a time on loopback, each refused (a path that is not the sign-in's), each answered.
    let next = 0
    const statuses: number[] = []
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < FLOOD) {
          const i = next++
          statuses.push((await rawGet(`http://127.0.0.1:${port}/probe/${i}`)).status)
        }
      }),
    )
    expect(statuses).toEqual(Array(FLOOD).fill(404))
    await login.waitForStderr(
      /Refused 100 requests so far \(the latest: a request for \/probe\/\d+\); still waiting\./,
    )
    const { authorizeURL, cookie } = await openStartPage(url as string)
    const callback = await completeAuthorization(server.mock, authorizeURL, {
      username: DEMO_USER.username,
      password: DEMO_USER.password,
    })
    expect((await rawGet(callback, { Cookie: cookie })).status).toBe(200)
    const done = await login.finished
    expect(done.code).toBe(0)
    const refusedLines = done.stderr.split('\n').filter((line) => line.startsWith('Refused'))
    expect(refusedLines).toEqual([
      ...Array.from({ length: 10 }, () =>
        expect.stringMatching(/^Refused a request for \/probe\/\d+; still waiting\.$/),
      ),
      expect.stringMatching(/^Refused 100 requests so far/),
      `Refused ${FLOOD} requests in all while waiting.`,
    ])
  })
})
