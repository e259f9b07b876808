/**
 * Storms against the demo Worker over real HTTP (Node only): the `--env dev` build on Miniflare's own socket,
 * requests on fresh connections, and what the mock counted.
 *
 * Fresh connections: each request opens its own TCP connection and closes it (`agent: false`). A pooled
 * client (Node's `fetch`) reuses keep-alive sockets from one storm to the next, and a reused socket that the
 * server has just closed resets the request: up to 116 resets per 1,000 requests were seen (issue #22).
 */
import { execFile } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { eventually } from '@workfront-oauth/test-kit'
import type { MockCounters } from '@workfront-oauth/workfront-mock'
import { Miniflare, type MiniflareOptions } from 'miniflare'
import { OFFLINE_ENV, PACKAGE_DIR, wranglerBin } from '../dev/wrangler-dev.ts'
import { createBrowserLike, signIn } from './browser-like.ts'

/** Builds the `--env dev` Worker (the one with the Workfront mock) into `outdir`; returns its module. */
export function buildDevWorker(outdir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [wranglerBin(), 'deploy', '--dry-run', '--env', 'dev', '--outdir', outdir],
      { cwd: PACKAGE_DIR, env: { ...process.env, ...OFFLINE_ENV } },
      (error, _stdout, stderr) => {
        if (error)
          reject(new Error(`wrangler deploy --dry-run --env dev failed: ${error.message}\n${stderr}`))
        else resolve(join(outdir, 'worker-dev.js'))
      },
    )
  })
}

/**
 * The built Worker in workerd through Miniflare, with wrangler.jsonc's `--env dev` bindings plus `vars`,
 * listening on `127.0.0.1:port` itself: no wrangler proxy in front.
 */
export async function startMiniflare(options: {
  script: string
  port: number
  vars: Readonly<Record<string, string>>
}): Promise<Miniflare> {
  const wrangler = await import('wrangler')
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(
    join(PACKAGE_DIR, 'wrangler.jsonc'),
    'dev',
  )
  const base = workerOptions as unknown as Record<string, unknown> & { bindings?: Record<string, unknown> }
  const mf = new Miniflare({
    ...base,
    modules: true,
    scriptPath: options.script,
    modulesRoot: join(options.script, '..'),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }],
    bindings: { ...base.bindings, ...options.vars },
    host: '127.0.0.1',
    port: options.port,
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume()
      stderr.resume()
    },
  } as unknown as MiniflareOptions)
  await mf.ready
  return mf
}

/** How one request of a storm ended. */
export type Outcome = { status: number } | { held: true } | { error: string }

/**
 * `GET url` on a connection of its own. `held` when no complete answer came within `deadlineMs` (the
 * request is then abandoned); `error` when the connection failed.
 */
export function freshGet(url: URL, headers: Record<string, string>, deadlineMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false
    const settle = (outcome: Outcome): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(outcome)
    }
    const req = httpRequest(url, { agent: false, headers }, (res) => {
      res.resume()
      res.on('end', () => settle({ status: res.statusCode ?? 0 }))
      res.on('error', (error) => settle({ error: (error as NodeJS.ErrnoException).code ?? error.message }))
    })
    const timer = setTimeout(() => {
      settle({ held: true })
      req.destroy()
    }, deadlineMs)
    req.on('error', (error) => settle({ error: (error as NodeJS.ErrnoException).code ?? error.message }))
    req.end()
  })
}

/** Signs in through the demo's own mock pages; returns the browser's cookies as a `Cookie` header. */
export async function signedInCookie(origin: string): Promise<string> {
  const browser = createBrowserLike((request) => fetch(request), origin)
  const callback = await signIn(browser, { mockFetch: (request) => fetch(request) })
  if (callback.status !== 302) throw new Error(`the callback answered ${callback.status}`)
  return [...browser.jar].map(([name, value]) => `${name}=${value}`).join('; ')
}

/** What the demo's mock counted (`GET /mock/counters`). */
export async function mockCounters(origin: string): Promise<MockCounters> {
  const response = await fetch(new URL('/mock/counters', origin))
  if (!response.ok) throw new Error(`GET /mock/counters answered ${response.status}`)
  return (await response.json()) as MockCounters
}

/** What a storm did, by what the clients got and by what the mock saw meanwhile. */
export interface ExpiredStorm {
  requests: number
  /** Answers by HTTP status, every round together. */
  statuses: Record<string, number>
  /** Requests without a complete answer within the deadline (never re-sent). */
  held: number
  /** Connections of the first round closed without an answer, by error code; those were sent again. */
  closedUnanswered: Record<string, number>
  /** Rounds it took: the first, plus one per re-sending. */
  rounds: number
  /** Refresh-token calls the mock answered meanwhile. */
  refreshTokenCalls: number
  /** Uses of a rotated refresh token the mock refused meanwhile. */
  refreshReuses: number
  /** Successful API calls the mock answered meanwhile: one per request the Worker served. */
  apiCallsOK: number
}

/** The demo reads the user's profile: after a refresh, `GET session` and `GET user/<id>` (core's `user`). */
const USER_READS_PER_REFRESH = 2

/**
 * Expires every Workfront session at the mock, then sends `requests` concurrent `GET /api/projects` with the
 * session cookie, each on a fresh connection. Connections closed without an answer are sent again (at most
 * 5 rounds), as a client retries an idempotent request whose connection was reset: on a loaded machine
 * workerd closes a connection whose request it has not read within its header timeout (about 10–15 s),
 * also for a Worker with none of our code. `apiCallsOK` tells whether such requests had reached the Worker.
 */
export async function expiredStorm(
  origin: string,
  options: { cookie: string; requests: number; deadlineMs: number },
): Promise<ExpiredStorm> {
  const expire = await fetch(new URL('/mock/expire-sessions', origin), {
    method: 'POST',
    headers: { origin },
    redirect: 'manual',
  })
  await expire.arrayBuffer()
  if (expire.status !== 303) throw new Error(`expiring the sessions answered ${expire.status}`)
  const before = await mockCounters(origin)
  const url = new URL('/api/projects', origin)
  const headers = { accept: 'application/json', cookie: options.cookie }
  const result: ExpiredStorm = {
    requests: options.requests,
    statuses: {},
    held: 0,
    closedUnanswered: {},
    rounds: 0,
    refreshTokenCalls: 0,
    refreshReuses: 0,
    apiCallsOK: 0,
  }
  let unanswered = options.requests
  while (unanswered > 0 && result.rounds < 5) {
    const outcomes = await Promise.all(
      Array.from({ length: unanswered }, () => freshGet(url, headers, options.deadlineMs)),
    )
    unanswered = 0
    for (const outcome of outcomes) {
      if ('status' in outcome) {
        result.statuses[outcome.status] = (result.statuses[outcome.status] ?? 0) + 1
      } else if ('held' in outcome) {
        result.held++
      } else {
        unanswered++
        if (result.rounds === 0) {
          result.closedUnanswered[outcome.error] = (result.closedUnanswered[outcome.error] ?? 0) + 1
        }
      }
    }
    result.rounds++
  }
  const answered = Object.values(result.statuses).reduce((sum, n) => sum + n, 0)
  const ok = (counters: MockCounters) => (counters.apiCalls['200'] ?? 0) - (before.apiCalls['200'] ?? 0)
  let after = await mockCounters(origin)
  const refreshes = () => after.tokenCalls.refresh_token - before.tokenCalls.refresh_token
  // Each refresh re-reads who signed in, in the background, once its tokens are written: wait until the mock
  // has seen those reads too, so that what remains is one call per request the Worker served.
  await eventually(async () => {
    after = await mockCounters(origin)
    return ok(after) >= answered + USER_READS_PER_REFRESH * refreshes()
  })
  result.refreshTokenCalls = refreshes()
  result.refreshReuses = after.refreshReuses - before.refreshReuses
  result.apiCallsOK = ok(after) - USER_READS_PER_REFRESH * refreshes()
  return result
}
