/**
 * Per-request overhead: requests per second, latency percentiles and server CPU per request of `GET /r` in
 * each variant (see `server.ts`), with autocannon in this process and each server in its own. Rounds are
 * interleaved (A B C D E, then B C D E A, …) so that drift of a noisy machine spreads over all variants;
 * every figure is the median over rounds.
 */
import autocannon from 'autocannon'
import type { Redis } from 'ioredis'
import { type Child, forkChild } from '../lib/ipc.ts'
import { commandDelta, commandStats, totalCommands } from '../lib/redis-stats.ts'
import { median, rotate } from '../lib/stats.ts'
import { measureNearCache, type NearCacheOptions, type NearCacheResult } from '../near-cache/measure.ts'
import type { ExpressVariant } from './express-server.ts'
import type { Variant as HonoVariant } from './server.ts'

/** A variant of the Hono app (`server.ts`) or of the Express app (`express-server.ts`). */
export type Variant = HonoVariant | ExpressVariant

export const VARIANTS: readonly Variant[] = [
  'bare',
  'redis-get',
  'oidc-auth',
  'adapter-memory',
  'adapter-redis',
  'express-bare',
  'express-session-redis',
  'express-bridge-memory',
  'express-bridge-redis',
]

export interface OverheadOptions {
  rounds: number
  durationSeconds: number
  warmupSeconds: number
  connections: number
  /** The near cache's figures, measured after the variants (absent: not measured). */
  nearCache?: NearCacheOptions
  log(line: string): void
}

export interface OverheadRun {
  variant: Variant
  round: number
  requests: number
  requestsPerSecond: number
  latencyMeanMs: number
  latencyP50Ms: number
  latencyP90Ms: number
  latencyP99Ms: number
  cpuMicrosPerRequest: number
  redisCommandsPerRequest: number
  /** Answers other than 2xx. */
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
}

/** The median over rounds of one variant's figures. */
export type OverheadVariant = Omit<OverheadRun, 'round' | 'requests' | 'non2xx' | 'errors'> & {
  rounds: number
}

export interface OverheadResult {
  connections: number
  durationSeconds: number
  variants: OverheadVariant[]
  runs: OverheadRun[]
  nearCache?: NearCacheResult
}

type ServerReady = { type: 'ready'; port: number; cookie: string }

const SERVER = new URL('./server.ts', import.meta.url)
const EXPRESS_SERVER = new URL('./express-server.ts', import.meta.url)

export async function runOverhead(
  context: { redis: Redis; redisURL: string },
  options: OverheadOptions,
): Promise<OverheadResult> {
  const servers = new Map<Variant, Child<ServerReady>>()
  try {
    await Promise.all(
      VARIANTS.map(async (variant) => {
        const file = variant.startsWith('express-') ? EXPRESS_SERVER : SERVER
        const server = await forkChild<ServerReady>(file, {
          env: { VARIANT: variant, REDIS_URL: context.redisURL },
        })
        servers.set(variant, server)
      }),
    )

    async function measure(variant: Variant, seconds: number, round: number): Promise<OverheadRun> {
      const server = servers.get(variant) as Child<ServerReady>
      const cpuBefore = await server.request<NodeJS.CpuUsage>({ type: 'cpu' }, 5_000)
      const redisBefore = await commandStats(context.redis)
      const result = await autocannon({
        url: `http://127.0.0.1:${server.info.port}/r`,
        connections: options.connections,
        duration: seconds,
        headers: server.info.cookie ? { cookie: server.info.cookie } : {},
        timeout: 10,
      })
      const redisAfter = await commandStats(context.redis)
      const cpuAfter = await server.request<NodeJS.CpuUsage>({ type: 'cpu' }, 5_000)
      const requests = result['2xx'] + result.non2xx
      const cpu = cpuAfter.user - cpuBefore.user + (cpuAfter.system - cpuBefore.system)
      return {
        variant,
        round,
        requests,
        requestsPerSecond: requests / result.duration,
        latencyMeanMs: result.latency.average,
        latencyP50Ms: result.latency.p50,
        latencyP90Ms: result.latency.p90,
        latencyP99Ms: result.latency.p99,
        cpuMicrosPerRequest: cpu / Math.max(1, requests),
        redisCommandsPerRequest: totalCommands(commandDelta(redisBefore, redisAfter)) / Math.max(1, requests),
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      }
    }

    for (const variant of VARIANTS) await measure(variant, options.warmupSeconds, -1)
    const runs: OverheadRun[] = []
    for (let round = 0; round < options.rounds; round++) {
      for (const variant of rotate(VARIANTS, round)) {
        const run = await measure(variant, options.durationSeconds, round)
        // A non-2xx answer means the wiring is wrong (no valid session): the figures would mean nothing.
        if (run.non2xx > 0)
          throw new Error(`${variant}: ${run.non2xx} of ${run.requests} answers were not 2xx`)
        runs.push(run)
        options.log(
          `overhead ${variant.padEnd(21)} round ${round + 1}: ${run.requestsPerSecond.toFixed(0)} req/s, p50 ${run.latencyP50Ms} ms, ${run.cpuMicrosPerRequest.toFixed(1)} µs CPU/req, ${run.redisCommandsPerRequest.toFixed(3)} redis cmd/req`,
        )
      }
    }
    const variants = VARIANTS.map((variant): OverheadVariant => {
      const mine = runs.filter((run) => run.variant === variant)
      const of = (pick: (run: OverheadRun) => number): number => median(mine.map(pick))
      return {
        variant,
        rounds: mine.length,
        requestsPerSecond: of((r) => r.requestsPerSecond),
        latencyMeanMs: of((r) => r.latencyMeanMs),
        latencyP50Ms: of((r) => r.latencyP50Ms),
        latencyP90Ms: of((r) => r.latencyP90Ms),
        latencyP99Ms: of((r) => r.latencyP99Ms),
        cpuMicrosPerRequest: of((r) => r.cpuMicrosPerRequest),
        redisCommandsPerRequest: of((r) => r.redisCommandsPerRequest),
      }
    })
    let nearCache: NearCacheResult | undefined
    if (options.nearCache) {
      nearCache = await measureNearCache(context.redisURL, options.nearCache)
      options.log(
        `overhead near cache: hit rate ${(nearCache.hitRate * 100).toFixed(2)} %, logout → refused elsewhere p99 ${nearCache.withChannel.p99Ms.toFixed(2)} ms (pub/sub), ${nearCache.withoutChannel.p99Ms.toFixed(0)} ms (no channel, max age ${nearCache.withoutChannel.maxAgeMs} ms)`,
      )
    }
    return {
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      variants,
      runs,
      ...(nearCache ? { nearCache } : {}),
    }
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()))
  }
}
