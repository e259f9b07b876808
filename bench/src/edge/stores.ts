/**
 * The demo Worker's session stores compared inside workerd (Miniflare), same run, interleaved: one signed-in
 * user's authenticated request (`GET /api/session`: cookie, grant read, decrypt) with the Durable Object
 * store, the memory store (one isolate) and Redis with a connection per request — latency and workerd CPU
 * per request. Then the refresh storm on the Durable Object store: N concurrent authenticated requests
 * (`GET /api/projects`) on one grant whose Workfront session was just expired, rotation on.
 *
 * The demo's `--env dev` build is used (it embeds the Workfront mock, which the requests sign in through);
 * the store code is the same in every build.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { Miniflare, type MiniflareOptions } from 'miniflare'
import { median, now, quantile } from '../lib/stats.ts'

export type StoreVariant = 'durable-object' | 'memory' | 'redis'

export interface StoreRequestCost {
  variant: StoreVariant
  /** Sequential authenticated requests per round. */
  requests: number
  rounds: number
  latencyP50Ms: number
  latencyP95Ms: number
  /** workerd's CPU (user + system) per request, median of the rounds. */
  cpuMicrosPerRequest: number
}

export interface EdgeStorm {
  store: StoreVariant
  requests: number
  /** Refreshes recorded on the grant (each is one successful token call). */
  refreshes: number
  failed: number
  /** Time until every request had its answer. */
  totalMs: number
}

export interface EdgeStoresResult {
  perRequest: StoreRequestCost[]
  storm: EdgeStorm | null
  error: string | null
}

export interface EdgeStoresOptions {
  /** The demo's directory (its wrangler.jsonc) and a built `--env dev` Worker module. */
  demoDir: string
  devWorker: string
  rounds: number
  requests: number
  stormRequests: number
  redisBin: string
  log(line: string): void
}

const ORIGIN = 'http://127.0.0.1:8787'
const SECRETS = {
  SESSION_SECRET: 'bench-session-secret-for-the-local-mock-only-0123456789',
  TOKEN_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
}

interface Subject {
  variant: StoreVariant
  mf: Miniflare
  pid: number
  cookies: Map<string, string>
}

/** The workerd processes that are children of this process. */
function workerdChildren(): Set<number> {
  const found = new Set<number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[1]) === process.pid && stat.includes('(workerd)')) found.add(Number(entry))
    } catch {
      // Gone meanwhile.
    }
  }
  return found
}

/** User + system CPU of a process, in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // Fields 14 and 15 of proc(5) (utime, stime), in clock ticks (100 per second on Linux).
  return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100
}

async function dispatch(subject: Subject, path: string | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (subject.cookies.size > 0) {
    headers.set('cookie', [...subject.cookies].map(([name, value]) => `${name}=${value}`).join('; '))
  }
  const response = (await subject.mf.dispatchFetch(new URL(path, ORIGIN).href, {
    method: init.method ?? 'GET',
    headers: Object.fromEntries(headers),
    body: init.body as string | undefined,
    redirect: 'manual',
  })) as unknown as Response
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(';')
    const [name, ...rest] = (pair as string).split('=')
    if (/Max-Age=0/i.test(cookie)) subject.cookies.delete(name as string)
    else subject.cookies.set(name as string, rest.join('='))
  }
  return response
}

/** Signs in through the mock's pages served by the Worker, as a browser would. */
async function signIn(subject: Subject): Promise<void> {
  const login = await dispatch(subject, '/auth/login')
  await login.arrayBuffer()
  const authorize = login.headers.get('location')
  if (login.status !== 302 || !authorize) throw new Error(`/auth/login answered ${login.status}`)
  const callback = await completeAuthorization(
    {
      fetch: async (request) =>
        dispatch(subject, request.url, {
          method: request.method,
          headers: request.headers,
          body: request.method === 'POST' ? await request.text() : undefined,
        }),
    },
    new URL(authorize, ORIGIN),
    { username: DEMO_USER.username, password: DEMO_USER.password },
  )
  const done = await dispatch(subject, callback)
  await done.arrayBuffer()
  if (done.status !== 302 || !subject.cookies.has('wf_session')) {
    throw new Error(`the callback answered ${done.status} without a session`)
  }
}

async function start(options: EdgeStoresOptions, variant: StoreVariant, redisURL: string): Promise<Subject> {
  const wrangler = await import('wrangler')
  const { workerOptions } = wrangler.unstable_getMiniflareWorkerOptions(
    join(options.demoDir, 'wrangler.jsonc'),
    'dev',
  )
  const base = workerOptions as unknown as Record<string, unknown> & { bindings?: Record<string, unknown> }
  const before = workerdChildren()
  const mf = new Miniflare({
    ...base,
    modules: true,
    scriptPath: options.devWorker,
    modulesRoot: join(options.devWorker, '..'),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }],
    bindings: {
      ...base.bindings,
      ...SECRETS,
      SESSION_STORE: variant,
      ...(variant === 'redis' ? { REDIS_URL: redisURL } : {}),
    },
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume()
      stderr.resume()
    },
  } as unknown as MiniflareOptions)
  await mf.ready
  const pid = [...workerdChildren()].find((p) => !before.has(p))
  if (pid === undefined) throw new Error('no workerd process found')
  const subject: Subject = { variant, mf, pid, cookies: new Map() }
  await signIn(subject)
  return subject
}

async function measure(subject: Subject, requests: number): Promise<{ latencies: number[]; cpu: number }> {
  const latencies: number[] = []
  const cpuBefore = cpuMicros(subject.pid)
  for (let i = 0; i < requests; i++) {
    const begin = now()
    const response = await dispatch(subject, '/api/session')
    const body = (await response.json()) as { signedIn?: boolean }
    latencies.push(now() - begin)
    if (!body.signedIn) throw new Error(`${subject.variant}: the session was not recognised`)
  }
  return { latencies, cpu: (cpuMicros(subject.pid) - cpuBefore) / requests }
}

async function storm(subject: Subject, requests: number): Promise<EdgeStorm> {
  const session = async () =>
    (await (await dispatch(subject, '/api/session')).json()) as { refreshCount: number }
  const before = (await session()).refreshCount
  const expire = await dispatch(subject, '/mock/expire-sessions', {
    method: 'POST',
    headers: { origin: ORIGIN },
  })
  await expire.arrayBuffer()
  if (expire.status !== 303) throw new Error(`expiring the sessions answered ${expire.status}`)
  const begin = now()
  const statuses = await Promise.all(
    Array.from({ length: requests }, async () => {
      const response = await dispatch(subject, '/api/projects', { headers: { accept: 'application/json' } })
      await response.arrayBuffer()
      return response.status
    }),
  )
  const totalMs = now() - begin
  return {
    store: subject.variant,
    requests,
    refreshes: (await session()).refreshCount - before,
    failed: statuses.filter((status) => status !== 200).length,
    totalMs,
  }
}

export async function runEdgeStores(options: EdgeStoresOptions): Promise<EdgeStoresResult> {
  const redis = await startRedisServer({ bin: options.redisBin })
  const subjects: Subject[] = []
  try {
    for (const variant of ['durable-object', 'memory', 'redis'] as const) {
      subjects.push(await start(options, variant, redis.url))
    }
    for (const subject of subjects) await measure(subject, Math.min(50, options.requests))
    const samples = new Map<StoreVariant, { latencies: number[]; cpu: number[] }>()
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? subjects : [...subjects].reverse()
      for (const subject of order) {
        const { latencies, cpu } = await measure(subject, options.requests)
        const entry = samples.get(subject.variant) ?? { latencies: [], cpu: [] }
        entry.latencies.push(...latencies)
        entry.cpu.push(cpu)
        samples.set(subject.variant, entry)
        options.log(
          `edge store ${subject.variant.padEnd(14)} round ${round + 1}: p50 ${quantile(latencies, 0.5).toFixed(2)} ms, ${cpu.toFixed(0)} µs CPU/req`,
        )
      }
    }
    const perRequest = subjects.map(({ variant }) => {
      const entry = samples.get(variant) as { latencies: number[]; cpu: number[] }
      return {
        variant,
        requests: options.requests,
        rounds: options.rounds,
        latencyP50Ms: quantile(entry.latencies, 0.5),
        latencyP95Ms: quantile(entry.latencies, 0.95),
        cpuMicrosPerRequest: median(entry.cpu),
      }
    })
    // A storm that fails (a loaded machine: workerd closes connections it has not read in time) keeps the
    // figures above.
    try {
      const result = await storm(subjects[0] as Subject, options.stormRequests)
      options.log(
        `edge storm (Durable Objects) ${result.requests} requests: ${result.refreshes} refresh, ${result.failed} failed, ${result.totalMs.toFixed(0)} ms`,
      )
      return { perRequest, storm: result, error: null }
    } catch (error) {
      return { perRequest, storm: null, error: `the storm failed: ${(error as Error).message}` }
    }
  } finally {
    await Promise.allSettled(subjects.map((subject) => subject.mf.dispose()))
    await redis.stop()
  }
}
