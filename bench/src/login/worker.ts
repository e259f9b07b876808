/**
 * Child process: login throughput, in-process (no sockets), against the Workfront mock with automatic
 * consent and the memory store.
 *
 * - `adapter`: a complete sign-in through `@workfront-oauth/hono-adapter`: `GET /auth/login` (transaction,
 *   state, binding cookie) → the mock's authorize endpoint (redirect with a code) → `GET /auth/callback`
 *   (checks, code exchange through openid-client, grant stored, session cookie signed).
 * - `bare`: the same authorize request and the bare token exchange — one form POST to the token endpoint,
 *   the JSON parsed — with no library, no checks and nothing stored: the floor of any code flow.
 *
 * Each run does `count` logins with `concurrency` in flight; rounds alternate A B, B A.
 */
import { memoryStore } from '@workfront-oauth/core'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'
import { Hono } from 'hono'
import { benchOAuth, createBenchMock } from '../lib/bench-mock.ts'
import { APP_ORIGIN, BENCH_APP, COOKIE_SECRET, TOKEN_PATH } from '../lib/constants.ts'
import { ready, serveParent } from '../lib/ipc.ts'
import { now } from '../lib/stats.ts'

export type LoginImpl = 'adapter' | 'bare'

export interface LoginRunRequest {
  type: 'run'
  impl: LoginImpl
  count: number
  concurrency: number
}

export interface LoginRunReport {
  impl: LoginImpl
  count: number
  ms: number
  cpuMicros: number
}

const mock = createBenchMock()
const origin = `https://${mock.host}`
const oauth = benchOAuth(mock, memoryStore())
// The flow's cost is measured, not its sign-in limit (which would refuse most of a run's logins).
const auth = workfrontAuth({
  oauth,
  appOrigin: APP_ORIGIN,
  cookieSecrets: [COOKIE_SECRET],
  loginCapacity: false,
})
const app = new Hono()
app.onError(auth.onError)
app.route('/auth', auth.routes())

async function adapterLogin(): Promise<void> {
  const login = await app.request(`${APP_ORIGIN}/auth/login?returnTo=/`)
  const authorizeURL = login.headers.get('location') as string
  const loginCookie = login.headers.getSetCookie()[0]?.split(';')[0] as string
  const consent = await mock.fetch(new Request(authorizeURL))
  const callback = await app.request(consent.headers.get('location') as string, {
    headers: { cookie: loginCookie },
  })
  if (callback.status !== 302 || !callback.headers.getSetCookie().some((c) => c.startsWith('wf_session='))) {
    throw new Error(`adapter login failed: callback answered ${callback.status}`)
  }
}

async function bareLogin(): Promise<void> {
  const authorize = new URL('/integrations/oauth2/authorize', origin)
  authorize.search = new URLSearchParams({
    client_id: BENCH_APP.clientId,
    redirect_uri: BENCH_APP.redirectUri,
    response_type: 'code',
    state: crypto.randomUUID(),
  }).toString()
  const consent = await mock.fetch(new Request(authorize))
  const code = new URL(consent.headers.get('location') as string).searchParams.get('code') as string
  const response = await mock.fetch(
    new Request(`${origin}${TOKEN_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: BENCH_APP.redirectUri,
        client_id: BENCH_APP.clientId,
        client_secret: BENCH_APP.clientSecret,
      }),
    }),
  )
  const tokens = (await response.json()) as { access_token?: string }
  if (response.status !== 200 || !tokens.access_token) throw new Error(`bare exchange: ${response.status}`)
}

async function run(request: LoginRunRequest): Promise<LoginRunReport> {
  const login = request.impl === 'adapter' ? adapterLogin : bareLogin
  // The mock sweeps its codes and sessions on every request: start each run from an empty mock, so that
  // no run pays for the sign-ins of the runs before it.
  mock.reset()
  let next = 0
  const cpuBefore = process.cpuUsage()
  const start = now()
  const lane = async (): Promise<void> => {
    while (next < request.count) {
      next++
      await login()
    }
  }
  await Promise.all(Array.from({ length: request.concurrency }, lane))
  const ms = now() - start
  const cpu = process.cpuUsage(cpuBefore)
  return { impl: request.impl, count: request.count, ms, cpuMicros: cpu.user + cpu.system }
}

serveParent((message) => {
  if (message.type === 'run') return run(message as unknown as LoginRunRequest)
  throw new Error(`unknown request ${message.type}`)
})
ready()
