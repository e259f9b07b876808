/**
 * What the command line's tests share: the Workfront mock served over HTTP on a free loopback port, free
 * ports for the loopback redirect, and the built `workfront` run as a real child process.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import type { IncomingHttpHeaders, Server } from 'node:http'
import { createServer as createHTTPServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { HttpBindings } from '@hono/node-server'
import { serve } from '@hono/node-server'
import { freePort } from '@workfront-oauth/test-kit/node'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock, DEMO_USER, isMockConnectionReset } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'

export { launchChromium } from '@workfront-oauth/test-kit/node'
export { freePort }

export const PACKAGE_DIR = join(import.meta.dirname, '..', '..')
export const BIN = join(PACKAGE_DIR, 'dist', 'bin.js')
export const PUBLIC_CLIENT = 'cli-public'
export const WEB_CLIENT = 'cli-web'
export const WEB_SECRET = 'cli-web-secret-for-tests'
export { DEMO_USER }

/** The tests' `$BROWSER` (`opener.mjs`): the CLI runs it with the URL to open, it posts the URL to the test. */
export interface Opener {
  /** The value of `$BROWSER`. */
  command: string
  /** Its own origin, which serves a page to any GET: "another site" for cross-origin tests. */
  origin: string
  /** The next URL the CLI opens. */
  next(): Promise<string>
  close(): Promise<void>
}

export async function startOpener(): Promise<Opener> {
  const waiting: Array<(url: string) => void> = []
  const server = createHTTPServer((req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('Content-Type', 'text/html')
      res.end('<!doctype html><title>Another site</title><p>Another site')
      return
    }
    let body = ''
    req.setEncoding('utf8').on('data', (chunk: string) => {
      body += chunk
    })
    req.once('end', () => {
      res.end('ok')
      waiting.shift()?.(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    command: `${process.execPath} ${join(import.meta.dirname, 'opener.mjs')} ${origin}/opened`,
    origin,
    next: () => new Promise((resolve) => waiting.push(resolve)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

export interface MockServer {
  mock: WorkfrontMock
  origin: string
  /** Loopback ports registered as redirect URIs of both test apps. */
  ports: number[]
  close(): Promise<void>
}

/** The mock on a free port, with a public (PKCE) and a confidential app registered for `portCount` ports. */
export async function startMockServer(
  portCount: number,
  options: {
    /** Sees every request and decides when it reaches the mock (`forward`). */
    intercept?(request: Request, forward: (request: Request) => Promise<Response>): Promise<Response>
  } = {},
): Promise<MockServer> {
  const ports = await Promise.all(Array.from({ length: portCount }, () => freePort()))
  const redirectUris = ports.map((port) => `http://127.0.0.1:${port}/callback`)
  const mock = createWorkfrontMock({
    apps: [
      { clientId: PUBLIC_CLIENT, name: 'workfront CLI (tests)', type: 'spa', redirectUris },
      { clientId: WEB_CLIENT, type: 'web', clientSecrets: [WEB_SECRET], redirectUris },
    ],
  })
  let server: Server | undefined
  const info = await new Promise<AddressInfo>((resolve) => {
    server = serve(
      {
        async fetch(req, bindings) {
          try {
            return await (options.intercept ? options.intercept(req, (r) => mock.fetch(r)) : mock.fetch(req))
          } catch (error) {
            if (!isMockConnectionReset(error))
              throw error
              // An injected reset: the client sees the connection die without a response, as from Workfront.
            ;(bindings as HttpBindings).incoming.socket.destroy()
            return new Response(null, { status: 500 })
          }
        },
        hostname: '127.0.0.1',
        port: 0,
        overrideGlobalObjects: false,
      },
      resolve,
    ) as Server
  })
  return {
    mock,
    origin: `http://127.0.0.1:${info.port}`,
    ports,
    async close() {
      server?.closeAllConnections()
      await new Promise((resolve) => server?.close(resolve))
    },
  }
}

export async function tempConfigDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'workfront-cli-'))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

export interface Finished {
  code: number | null
  stdout: string
  stderr: string
}

export interface Running {
  child: ChildProcess
  /** Everything written so far. */
  readonly stdout: string
  readonly stderr: string
  /** Resolves with the first match of `pattern` in stderr (waits for it to be written). */
  waitForStderr(pattern: RegExp): Promise<RegExpExecArray>
  /** The same for stdout. */
  waitForStdout(pattern: RegExp): Promise<RegExpExecArray>
  finished: Promise<Finished>
}

/** Starts `workfront <args>` as a child process (the built bin, as users run it). */
export function startCLI(args: readonly string[], env: Record<string, string | undefined>): Running {
  if (!existsSync(BIN))
    throw new Error(`${BIN} is missing: build the package first (pnpm --filter @workfront-oauth/cli build)`)
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const watchers = new Set<() => void>()
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const watcher of watchers) watcher()
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    for (const watcher of watchers) watcher()
  })
  const finished = new Promise<Finished>((resolve) => {
    child.once('close', (code) => {
      for (const watcher of watchers) watcher()
      resolve({ code, stdout, stderr })
    })
  })
  function waitFor(pattern: RegExp, text: () => string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const look = (): void => {
        const match = pattern.exec(text())
        if (match) {
          watchers.delete(look)
          resolve(match)
        } else if (child.exitCode !== null) {
          watchers.delete(look)
          reject(new Error(`workfront exited (${child.exitCode}) before printing ${pattern}:\n${stderr}`))
        }
      }
      watchers.add(look)
      look()
    })
  }
  return {
    child,
    get stdout() {
      return stdout
    },
    get stderr() {
      return stderr
    },
    waitForStderr: (pattern) => waitFor(pattern, () => stderr),
    waitForStdout: (pattern) => waitFor(pattern, () => stdout),
    finished,
  }
}

/** Runs `workfront <args>` to the end. */
export function runCLI(
  args: readonly string[],
  env: Record<string, string | undefined>,
  stdin?: string,
): Promise<Finished> {
  const running = startCLI(args, env)
  running.child.stdin?.end(stdin ?? '')
  return running.finished
}

/** The sign-in URL that `login --no-browser` (or a failed browser) prints: the loopback start page. */
export const SIGN_IN_URL = /^\s+(http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]+)$/m

/** A browser's sign-in so far: Workfront's authorize URL and the cookie the start page set for the callback. */
export interface StartedSignIn {
  authorizeURL: string
  /** `name=value`, as a `Cookie` header sends it. */
  cookie: string
}

/** Opens the start page as a browser does (a page load) and follows nothing: where it redirects, what it sets. */
export async function openStartPage(startURL: string): Promise<StartedSignIn> {
  const answer = await rawGet(startURL, { 'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'document' })
  const location = answer.headers.location
  const setCookie = answer.headers['set-cookie']?.[0]
  if (answer.status !== 302 || !location || !setCookie) {
    throw new Error(`the start page answered ${answer.status}: ${answer.body}`)
  }
  return { authorizeURL: location, cookie: setCookie.split(';', 1)[0] as string }
}

/**
 * Completes the mock's login and consent forms over HTTP (no browser) and returns the callback URL that the
 * browser would be sent to.
 */
export function consent(
  mock: WorkfrontMock,
  url: string,
  decision: 'allow' | 'deny' = 'allow',
): Promise<URL> {
  return completeAuthorization(mock, url, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
    decision,
  })
}

/** A GET with exactly the headers given (node:http sets nothing a browser would): for the loopback server. */
export function rawGet(
  url: URL | string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk
      })
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.once('error', reject)
    req.end()
  })
}

/**
 * `rawGet` from a process of another user (`uid`; the tests run as root), as a program of theirs would send
 * it: Node's `http.request` in a child process started with that uid.
 */
export function rawGetAs(
  uid: number,
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  const script = `
    import { request } from 'node:http'
    const [url, headers] = process.argv.slice(1)
    request(url, { headers: JSON.parse(headers), agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk) => { body += chunk })
      res.once('end', () => process.stdout.write(JSON.stringify({ status: res.statusCode, headers: res.headers, body })))
    }).end()`
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', script, url, JSON.stringify(headers)],
      {
        uid,
        gid: uid,
        cwd: '/',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk
    })
    child.once('error', reject)
    child.once('close', (code) => {
      if (code === 0)
        resolve(JSON.parse(out) as { status: number; headers: IncomingHttpHeaders; body: string })
      else reject(new Error(`the request as uid ${uid} failed (exit ${code})`))
    })
  })
}

/**
 * Signs `profile` in without a browser: `login --no-browser`, its start page, the mock's forms over HTTP, the
 * callback with the start page's cookie.
 */
export async function signIn(
  env: Record<string, string | undefined>,
  server: MockServer,
  options: { port: number; profile?: string; clientId?: string; extra?: string[] },
): Promise<Finished> {
  const running = startCLI(
    [
      'login',
      '--no-browser',
      '--tenant',
      server.origin,
      '--client-id',
      options.clientId ?? PUBLIC_CLIENT,
      '--port',
      String(options.port),
      ...(options.profile ? ['--profile', options.profile] : []),
      ...(options.extra ?? []),
    ],
    env,
  )
  const [, url] = await running.waitForStderr(SIGN_IN_URL)
  const { authorizeURL, cookie } = await openStartPage(url as string)
  const callback = await consent(server.mock, authorizeURL)
  const answer = await rawGet(callback, { Cookie: cookie })
  if (answer.status !== 200) throw new Error(`callback answered ${answer.status}: ${answer.body}`)
  return running.finished
}

export function isProcessRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}
