/**
 * Refresh storm: N concurrent requests over P processes sharing Redis, on one grant whose Workfront session
 * has just expired, against the mock with rotation on and an injected token latency. Our library and the
 * baseline (openid-client, each request refreshing on its own) run the same cells, interleaved (A B B A …),
 * against the same mock, Redis and HTTP pool.
 */
import { createWorkfrontOAuth } from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import type { Redis } from 'ioredis'
import { BASELINE_PREFIX, BENCH_APP, KEY_PREFIX, TOKEN_PATH } from '../lib/constants.ts'
import { createHTTPPort } from '../lib/http-port.ts'
import { type Child, forkChild } from '../lib/ipc.ts'
import type { MockAdmin } from '../lib/mock-admin.ts'
import { type CommandCounts, commandDelta, commandStats, totalCommands } from '../lib/redis-stats.ts'
import { median, now } from '../lib/stats.ts'
import type { StormReport, StormRequest } from './worker.ts'

export type Impl = 'library' | 'baseline'

export interface StormOptions {
  ns: number[]
  ps: number[]
  /** Repeats of one cell (each repeat runs both implementations). */
  repeats(n: number, p: number): number
  tokenLatencyMs: number
  /** Connections per worker to the mock. */
  maxSockets: number
  /** Bound on one storm, from the start signal to the last report. */
  stormTimeoutMs: number
  log(line: string): void
}

export interface StormRun {
  impl: Impl
  n: number
  p: number
  repeat: number
  tokenCalls: number
  served: number
  failed: number
  refreshReuses: number
  timeMs: number
  redisCommands: number
  redis: CommandCounts
  errors: Record<string, number>
}

export interface StormCell {
  impl: Impl
  n: number
  p: number
  repeats: number
  tokenCalls: number
  failed: number
  refreshReuses: number
  timeMs: number
  /** `timeMs` as a multiple of one token round trip. */
  timeRoundTrips: number
  redisCommands: number
  /** Redis commands by name, from the run whose total is the median. */
  redisByCommand: CommandCounts
}

export interface StormResult {
  tokenLatencyMs: number
  maxSocketsPerProcess: number
  tokenRoundTripMs: number
  tokenRoundTripSamples: number[]
  cells: StormCell[]
  runs: StormRun[]
}

export interface StormContext {
  redis: Redis
  redisURL: string
  admin: MockAdmin
}

const WORKER = new URL('./worker.ts', import.meta.url)

export async function runStorm(context: StormContext, options: StormOptions): Promise<StormResult> {
  const { admin, redis } = context
  await admin.setLatency({ token: options.tokenLatencyMs, api: 0, authorize: 0 })
  const tokenRoundTripSamples = await measureTokenRoundTrip(admin, 7)
  const tokenRoundTripMs = median(tokenRoundTripSamples)
  options.log(`storm: one token round trip = ${tokenRoundTripMs.toFixed(1)} ms (median of 7)`)

  // The suite's own instance: it signs in (code flow against the mock) to create each storm's grant.
  const seedStore = redisStore({ client: redis, keyPrefix: KEY_PREFIX })
  const seeder = createWorkfrontOAuth({
    clientId: BENCH_APP.clientId,
    clientSecret: BENCH_APP.clientSecret,
    redirectUri: BENCH_APP.redirectUri,
    baseUrl: admin.origin,
    store: seedStore,
  })

  async function libraryGrant(): Promise<string> {
    const { url } = await seeder.startLogin()
    const consent = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) })
    const location = consent.headers.get('location')
    if (consent.status !== 302 || !location) throw new Error(`authorize answered ${consent.status}`)
    const { grant } = await seeder.handleCallback(new URL(location))
    return grant.id
  }

  async function baselineRecord(): Promise<string> {
    const tokens = await admin.issueGrant({ clientId: BENCH_APP.clientId, username: DEMO_USER.username })
    const key = `${BASELINE_PREFIX}${crypto.randomUUID()}`
    await redis.set(
      key,
      JSON.stringify({ access_token: tokens.access_token, refresh_token: tokens.refresh_token }),
    )
    return key
  }

  async function storm(workers: Child[], impl: Impl, n: number): Promise<Omit<StormRun, 'repeat'>> {
    const target = impl === 'library' ? await libraryGrant() : await baselineRecord()
    await admin.expireSessions()
    await admin.resetCounters()
    const before = await commandStats(redis)
    const at = Date.now() + 100
    const reports = await Promise.all(
      workers.map((worker, i) =>
        worker.request<StormReport>(
          { type: 'storm', impl, target, n: share(n, workers.length, i), at } satisfies Omit<
            StormRequest,
            'id'
          >,
          options.stormTimeoutMs,
        ),
      ),
    )
    const after = await commandStats(redis)
    const counters = await admin.counters()
    const delta = commandDelta(before, after)
    const errors: Record<string, number> = {}
    for (const report of reports)
      for (const [name, count] of Object.entries(report.errors)) errors[name] = (errors[name] ?? 0) + count
    return {
      impl,
      n,
      p: workers.length,
      tokenCalls: counters.tokenCalls.refresh_token,
      served: reports.reduce((sum, r) => sum + r.served, 0),
      failed: reports.reduce((sum, r) => sum + r.failed, 0),
      refreshReuses: counters.refreshReuses,
      timeMs: Math.max(...reports.map((r) => r.doneAt)) - at,
      redisCommands: totalCommands(delta),
      redis: delta,
      errors,
    }
  }

  const runs: StormRun[] = []
  const cells: StormCell[] = []
  try {
    for (const p of options.ps) {
      const workers = await Promise.all(
        Array.from({ length: p }, () =>
          forkChild(WORKER, {
            env: {
              MOCK_ORIGIN: admin.origin,
              REDIS_URL: context.redisURL,
              MAX_SOCKETS: String(options.maxSockets),
            },
          }),
        ),
      )
      try {
        // Warm-up (JIT, connection pools): one small storm of each kind, not recorded.
        await storm(workers, 'library', 10 * p)
        await storm(workers, 'baseline', 10 * p)
        for (const n of options.ns) {
          const repeats = options.repeats(n, p)
          const cellRuns: StormRun[] = []
          for (let repeat = 0; repeat < repeats; repeat++) {
            // A B, then B A: neither implementation always runs on a warmer (or more tired) machine.
            const order: Impl[] = repeat % 2 === 0 ? ['library', 'baseline'] : ['baseline', 'library']
            for (const impl of order) {
              const run = { ...(await storm(workers, impl, n)), repeat }
              cellRuns.push(run)
              options.log(
                `storm N=${n} P=${p} ${impl.padEnd(8)} #${repeat + 1}: token calls ${run.tokenCalls}, failed ${run.failed}, reuses ${run.refreshReuses}, ${run.timeMs.toFixed(0)} ms, redis ${run.redisCommands}`,
              )
            }
          }
          runs.push(...cellRuns)
          for (const impl of ['library', 'baseline'] as const) {
            cells.push(
              summarize(
                impl,
                n,
                p,
                cellRuns.filter((r) => r.impl === impl),
                tokenRoundTripMs,
              ),
            )
          }
        }
      } finally {
        await Promise.all(workers.map((worker) => worker.stop()))
      }
    }
  } finally {
    await seedStore.close()
  }
  return {
    tokenLatencyMs: options.tokenLatencyMs,
    maxSocketsPerProcess: options.maxSockets,
    tokenRoundTripMs,
    tokenRoundTripSamples,
    cells,
    runs,
  }
}

function summarize(impl: Impl, n: number, p: number, runs: StormRun[], roundTripMs: number): StormCell {
  const timeMs = median(runs.map((r) => r.timeMs))
  const redisCommands = median(runs.map((r) => r.redisCommands))
  const closest = [...runs].sort(
    (a, b) => Math.abs(a.redisCommands - redisCommands) - Math.abs(b.redisCommands - redisCommands),
  )[0]
  return {
    impl,
    n,
    p,
    repeats: runs.length,
    tokenCalls: median(runs.map((r) => r.tokenCalls)),
    failed: median(runs.map((r) => r.failed)),
    refreshReuses: median(runs.map((r) => r.refreshReuses)),
    timeMs,
    timeRoundTrips: timeMs / roundTripMs,
    redisCommands,
    redisByCommand: closest?.redis ?? {},
  }
}

/** N requests over P workers: as even as possible, the first ones taking the remainder. */
function share(n: number, p: number, i: number): number {
  return Math.floor(n / p) + (i < n % p ? 1 : 0)
}

/** One refresh request straight to the mock's token endpoint (rotation: each uses the last token). */
async function measureTokenRoundTrip(admin: MockAdmin, samples: number): Promise<number[]> {
  const port = createHTTPPort({ maxSockets: 1, timeoutMs: 10_000 })
  try {
    let { refresh_token: refreshToken } = await admin.issueGrant({
      clientId: BENCH_APP.clientId,
      username: DEMO_USER.username,
    })
    const times: number[] = []
    for (let i = 0; i < samples + 1; i++) {
      const start = now()
      const response = await port.fetch(`${admin.origin}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: refreshToken,
          client_id: BENCH_APP.clientId,
          client_secret: BENCH_APP.clientSecret,
        }).toString(),
      })
      const body = (await response.json()) as { refresh_token?: string }
      if (!response.ok || !body.refresh_token) throw new Error(`token endpoint answered ${response.status}`)
      refreshToken = body.refresh_token
      // The first request opens the connection; it is not a round trip like the others.
      if (i > 0) times.push(now() - start)
    }
    return times
  } finally {
    port.close()
  }
}
