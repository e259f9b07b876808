/**
 * The ratios the chart draws and the report's summary lists: always ours ÷ baseline of a cost (calls,
 * failures, time, CPU, bytes), measured in the same run, so that below 1 means ours costs less.
 */

import { ratio } from '../lib/stats.ts'
import type { OverheadVariant } from '../overhead/run.ts'
import type { StormCell } from '../storm/run.ts'
import { telemetryRatioRows } from '../telemetry/report.ts'
import type { Results } from './results.ts'

export interface RatioRow {
  group: string
  label: string
  /** Null when it cannot be computed (a side is missing or the baseline is 0). */
  value: number | null
  ours: number
  baseline: number
  unit: string
}

export function stormCell(cells: StormCell[], impl: StormCell['impl'], n: number, p: number) {
  return cells.find((c) => c.impl === impl && c.n === n && c.p === p)
}

/** The largest cell that was run: the headline of the storm. */
export function largestStormCell(cells: StormCell[]): { n: number; p: number } | null {
  const sorted = [...cells].sort((a, b) => b.n - a.n || b.p - a.p)
  return sorted[0] ? { n: sorted[0].n, p: sorted[0].p } : null
}

function row(group: string, label: string, ours: number, baseline: number, unit: string): RatioRow {
  return { group, label, value: ratio(ours, baseline), ours, baseline, unit }
}

export function ratioRows(results: Results): RatioRow[] {
  const rows: RatioRow[] = []
  const storm = results.storm?.result
  if (storm) {
    const largest = largestStormCell(storm.cells)
    if (largest) {
      const { n, p } = largest
      const ours = stormCell(storm.cells, 'library', n, p)
      const base = stormCell(storm.cells, 'baseline', n, p)
      if (ours && base) {
        const group = `Refresh storm, N=${n.toLocaleString('en-US')}, P=${p} (vs openid-client, no coordination)`
        rows.push(row(group, 'token-endpoint calls', ours.tokenCalls, base.tokenCalls, 'calls'))
        rows.push(row(group, 'failed requests', ours.failed, base.failed, 'requests'))
        rows.push(row(group, 'refresh-token reuses', ours.refreshReuses, base.refreshReuses, 'reuses'))
        rows.push(row(group, 'time until every request has its answer', ours.timeMs, base.timeMs, 'ms'))
        rows.push(row(group, 'Redis commands', ours.redisCommands, base.redisCommands, 'commands'))
      }
    }
  }
  const overhead = results.overhead?.result
  if (overhead) {
    const v = (name: OverheadVariant['variant']) => overhead.variants.find((x) => x.variant === name)
    const bare = v('bare')
    const floor = v('redis-get')
    const oidc = v('oidc-auth')
    const memory = v('adapter-memory')
    const redis = v('adapter-redis')
    const group = 'Per authenticated request: server CPU per request'
    if (redis && bare)
      rows.push(
        row(group, 'adapter + Redis ÷ bare route', redis.cpuMicrosPerRequest, bare.cpuMicrosPerRequest, 'µs'),
      )
    if (redis && floor)
      rows.push(
        row(
          group,
          'adapter + Redis ÷ route with one Redis GET',
          redis.cpuMicrosPerRequest,
          floor.cpuMicrosPerRequest,
          'µs',
        ),
      )
    if (redis && oidc)
      rows.push(
        row(
          group,
          'adapter + Redis ÷ @hono/oidc-auth',
          redis.cpuMicrosPerRequest,
          oidc.cpuMicrosPerRequest,
          'µs',
        ),
      )
    if (memory && oidc)
      rows.push(
        row(
          group,
          'adapter + memory ÷ @hono/oidc-auth',
          memory.cpuMicrosPerRequest,
          oidc.cpuMicrosPerRequest,
          'µs',
        ),
      )
    if (redis && floor)
      rows.push(
        row(
          'Per authenticated request: Redis commands',
          'adapter + Redis ÷ one GET (target: 1)',
          redis.redisCommandsPerRequest,
          floor.redisCommandsPerRequest,
          'commands',
        ),
      )
    const expressBare = v('express-bare')
    const expressSession = v('express-session-redis')
    const express = 'Express 5 per authenticated request: server CPU per request'
    for (const [name, label] of [
      ['express-bridge-memory', 'bridge + guard, memory ÷ bare Express route (target ≤ 1.3)'],
      ['express-bridge-redis', 'bridge + guard, Redis ÷ bare Express route (target ≤ 1.3)'],
    ] as const) {
      const ours = v(name)
      if (ours && expressBare)
        rows.push(row(express, label, ours.cpuMicrosPerRequest, expressBare.cpuMicrosPerRequest, 'µs'))
    }
    const bridgeRedis = v('express-bridge-redis')
    if (bridgeRedis && expressSession)
      rows.push(
        row(
          express,
          'bridge + guard, Redis ÷ express-session + connect-redis',
          bridgeRedis.cpuMicrosPerRequest,
          expressSession.cpuMicrosPerRequest,
          'µs',
        ),
      )
  }
  const login = results.login?.result
  if (login) {
    rows.push(
      row(
        'Login',
        'time per login: adapter ÷ bare token exchange',
        login.adapter.microsPerLogin,
        login.bare.microsPerLogin,
        'µs',
      ),
    )
  }
  const bundle = results.bundle?.result
  if (bundle) {
    const size = (id: string) => bundle.find((b) => b.id === id)?.gzipBytes
    const group = 'Bundle size, minified + gzip (code + refresh flow)'
    const core = size('core')
    const adapter = size('hono-adapter')
    for (const [id, label] of [
      ['openid-client', 'core ÷ openid-client'],
      ['oauth4webapi', 'core ÷ oauth4webapi'],
      ['arctic', 'core ÷ arctic'],
    ] as const) {
      const other = size(id)
      if (core !== undefined && other !== undefined) rows.push(row(group, label, core, other, 'bytes'))
    }
    const oidc = size('oidc-auth')
    if (adapter !== undefined && oidc !== undefined)
      rows.push(row(group, 'hono-adapter + core ÷ @hono/oidc-auth', adapter, oidc, 'bytes'))
  }
  const edge = results.edge?.result
  if (edge) {
    // The fair pair first (one protected route each), then the demo: a whole application.
    for (const [ours, group] of [
      [
        edge.minimal,
        'Minimal Worker: adapter + Durable Object store (vs @hono/oidc-auth, one protected route each)',
      ],
      [edge.demo, 'Whole application Worker: apps/edge-demo (vs the minimal @hono/oidc-auth Worker)'],
    ] as const) {
      if (ours?.bundle && edge.baseline.bundle) {
        rows.push(
          row(group, 'size, minified + gzip', ours.bundle.gzipBytes, edge.baseline.bundle.gzipBytes, 'bytes'),
        )
      }
      if (ours?.start && edge.baseline.start) {
        rows.push(
          row(
            group,
            'start in workerd to first response',
            ours.start.medianMs,
            edge.baseline.start.medianMs,
            'ms',
          ),
        )
      }
    }
    const stores = edge.stores?.perRequest ?? []
    const cost = (variant: string) => stores.find((s) => s.variant === variant)
    const objects = cost('durable-object')
    const group = 'Authenticated request in workerd: Durable Object store'
    for (const [variant, name] of [
      ['memory', 'memory store (one isolate)'],
      ['redis', 'Redis, a connection per request'],
    ] as const) {
      const other = cost(variant)
      if (!objects || !other) continue
      rows.push(
        row(group, `CPU per request ÷ ${name}`, objects.cpuMicrosPerRequest, other.cpuMicrosPerRequest, 'µs'),
      )
      rows.push(row(group, `latency p50 ÷ ${name}`, objects.latencyP50Ms, other.latencyP50Ms, 'ms'))
    }
  }
  rows.push(...telemetryRatioRows(results.telemetry?.result))
  return rows
}
