/** The per-request overhead section of `BENCHMARKS.md`: the Hono variants, the Express ones, the near cache. */
import { ratio } from '../lib/stats.ts'
import type { OverheadResult, OverheadVariant } from '../overhead/run.ts'
import { formatRatio } from './chart.ts'
import { fixed, int, plural } from './format.ts'

const VARIANT_LABELS: Record<OverheadVariant['variant'], string> = {
  bare: 'bare route (baseline)',
  'redis-get': 'bare route + one Redis GET (baseline: the floor of a server-side session store)',
  'oidc-auth': '`@hono/oidc-auth`, valid session cookie (baseline: verifies a JWT per request)',
  'adapter-memory': '**ours**: `requireAuth()` + access token, memory store',
  'adapter-redis': '**ours**: `requireAuth()` + access token, Redis store',
  'express-bare': 'bare Express route (baseline)',
  'express-session-redis': 'express-session + connect-redis reading the session (baseline)',
  'express-bridge-memory': '**ours**: `@workfront-oauth/node` `requireAuth()` + access token, memory store',
  'express-bridge-redis': '**ours**: `@workfront-oauth/node` `requireAuth()` + access token, Redis store',
}

/** The section's lines, from the overhead suite's result. */
export function overheadSection(o: OverheadResult): string[] {
  const out: string[] = []
  const push = (...lines: string[]): void => {
    out.push(...lines)
  }
  const bare = o.variants.find((v) => v.variant === 'bare')
  const floor = o.variants.find((v) => v.variant === 'redis-get')
  const oidc = o.variants.find((v) => v.variant === 'oidc-auth')
  const rounds = o.variants[0]?.rounds ?? 0
  push(
    '## 2. Per-request overhead',
    '',
    `\`GET /r\` of a Hono app on \`@hono/node-server\`, one server process per variant, loaded by autocannon from`,
    `another process on loopback (${o.connections} connections, ${o.durationSeconds} s per run, ${plural(rounds, 'round')} interleaved A B C D E,`,
    'B C D E A …, after a warm-up). Our variants serve a **valid session with no refresh**: `requireAuth()`',
    "verifies the signed session cookie, and the route reads the user's access token (what a handler needs",
    "to call Workfront) — from the near cache of grants in steady state. Server CPU is the server process's own",
    '(`process.cpuUsage()`), divided by the requests served; Redis commands per request come from `INFO',
    'commandstats` deltas (the few requests still in flight when a run ends make it a hair above a whole number).',
    '',
    '| variant | req/s | latency mean / p50 / p99 | server CPU per request | Redis commands per request | CPU ÷ bare | CPU ÷ one GET | CPU ÷ oidc-auth |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  )
  const express = (v: { variant: string }): boolean => v.variant.startsWith('express-')
  for (const v of o.variants.filter((x) => !express(x))) {
    push(
      `| ${VARIANT_LABELS[v.variant]} | ${int(v.requestsPerSecond)} | ${fixed(v.latencyMeanMs, 2)} / ${v.latencyP50Ms} / ${v.latencyP99Ms} ms | ${fixed(v.cpuMicrosPerRequest)} µs | ${fixed(v.redisCommandsPerRequest, 3)} | ${formatRatio(ratio(v.cpuMicrosPerRequest, bare?.cpuMicrosPerRequest))} | ${formatRatio(ratio(v.cpuMicrosPerRequest, floor?.cpuMicrosPerRequest))} | ${formatRatio(ratio(v.cpuMicrosPerRequest, oidc?.cpuMicrosPerRequest))} |`,
    )
  }
  const expressBare = o.variants.find((v) => v.variant === 'express-bare')
  const expressSession = o.variants.find((v) => v.variant === 'express-session-redis')
  if (expressBare) {
    push(
      '',
      '**Express 5** (same run, interleaved with the rows above): `GET /r` of an Express app, our bridge',
      '(`toNodeHandler` + `requireAuth()` of `@workfront-oauth/node`, the session opened by a real sign-in) against',
      'a bare route and against express-session + connect-redis reading a signed-in session.',
      '',
      '| variant | req/s | latency mean / p50 / p99 | server CPU per request | Redis commands per request | CPU ÷ bare Express | CPU ÷ express-session |',
      '|---|---:|---:|---:|---:|---:|---:|',
    )
    for (const v of o.variants.filter(express)) {
      push(
        `| ${VARIANT_LABELS[v.variant]} | ${int(v.requestsPerSecond)} | ${fixed(v.latencyMeanMs, 2)} / ${v.latencyP50Ms} / ${v.latencyP99Ms} ms | ${fixed(v.cpuMicrosPerRequest)} µs | ${fixed(v.redisCommandsPerRequest, 3)} | ${formatRatio(ratio(v.cpuMicrosPerRequest, expressBare.cpuMicrosPerRequest))} | ${formatRatio(ratio(v.cpuMicrosPerRequest, expressSession?.cpuMicrosPerRequest))} |`,
      )
    }
  }
  push(
    '',
    'autocannon reports latency percentiles in whole milliseconds; on loopback they mostly say "under 1–2 ms".',
    'The `@hono/oidc-auth` session cookie was crafted as the middleware issues it after a sign-in: an HS256 JWT',
    'with `sub`, `email`, `rtk` and `rtkexp`/`ssnexp` in the future (no refresh), signed with its secret.',
    '',
  )
  const near = o.nearCache
  if (near) {
    const latency = (f: { p50Ms: number; p99Ms: number; maxMs: number }): string =>
      `${fixed(f.p50Ms, 2)} / ${fixed(f.p99Ms, 2)} / ${fixed(f.maxMs, 2)} ms`
    push(
      '**Near cache of grants** (two app instances on one Redis, each with its own connections):',
      '',
      `| figure | value |`,
      '|---|---:|',
      `| hit rate, ${int(near.requests)} requests over ${int(near.sessions)} sessions | ${fixed(near.hitRate * 100, 2)} % (${int(near.redisReads)} Redis reads) |`,
      `| logout on A → B refuses, changes channel (pub/sub), p50 / p99 / max | ${latency(near.withChannel)} |`,
      `| the same without a channel, maximum age ${int(near.withoutChannel.maxAgeMs)} ms, p50 / p99 / max | ${latency(near.withoutChannel)} |`,
      '',
    )
  }
  return out
}
