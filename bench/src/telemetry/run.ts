/**
 * The cost of the instrumentation (`@workfront-oauth/opentelemetry`, issue #23) on the hot path, in one
 * process, rounds interleaved: the same client with no instrumentation (the default), with the
 * instrumentation on and no OpenTelemetry SDK registered (the API's no-ops), and with the real SDK (a
 * batch span processor and a meter provider with a reader). Two workloads: the access token served from
 * the near cache (the library's whole per-request cost, so the relative cost of the hooks is as large as
 * it gets), and an API call against the in-process Workfront mock.
 */
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import type { Instrumentation } from '@workfront-oauth/core/adapters'
import { openTelemetry } from '@workfront-oauth/opentelemetry'
import { createWorkfrontMock, DEMO_USER, DEMO_WEB_APP } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { median, ratio, rotate } from '../lib/stats.ts'

export type TelemetryMode = 'off' | 'noop' | 'sdk'
export type TelemetryWorkload = 'access-token' | 'api-call'

export interface TelemetryOptions {
  rounds: number
  /** Operations per round and mode, per workload. */
  ops: Record<TelemetryWorkload, number>
  /** Operations in flight at once, per workload. */
  concurrency: Record<TelemetryWorkload, number>
  log(line: string): void
}

export interface TelemetryRow {
  workload: TelemetryWorkload
  mode: TelemetryMode
  /** Median over the rounds of the wall time per operation, in ns. */
  nsPerOp: number
  /** Median over the rounds of this process's CPU time (user + system) per operation, in ns. */
  cpuNsPerOp: number
  /**
   * The CPU median ÷ the `off` row's. CPU time rather than wall time: on a shared machine the other
   * processes' load moves the wall time of every row, not the CPU this process spends.
   */
  ratioToOff: number | null
  /** Wall and CPU ns per operation of each round. */
  rounds: { wall: number; cpu: number }[]
}

export interface TelemetryResult {
  rounds: number
  ops: Record<TelemetryWorkload, number>
  concurrency: Record<TelemetryWorkload, number>
  /** Spans the SDK rows exported (they were really recorded). */
  spansExported: number
  rows: TelemetryRow[]
}

const MODES: TelemetryMode[] = ['off', 'noop', 'sdk']
const WORKLOADS: TelemetryWorkload[] = ['access-token', 'api-call']

/** An exporter that counts and drops: the SDK's processing is measured, not a backend. */
function countingExporter(): SpanExporter & { count: number } {
  return {
    count: 0,
    export(spans: ReadableSpan[], done) {
      this.count += spans.length
      done({ code: 0 })
    },
    async shutdown() {},
  }
}

export async function runTelemetry(options: TelemetryOptions): Promise<TelemetryResult> {
  const mock = createWorkfrontMock({ autoConsent: { username: DEMO_USER.username } })
  const exporter = countingExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] })
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 60_000,
      }),
    ],
  })
  const instrumentation: Record<TelemetryMode, Instrumentation | undefined> = {
    off: undefined,
    // No provider registered globally: every call lands in the API's no-ops.
    noop: openTelemetry(),
    sdk: openTelemetry({ tracerProvider, meterProvider }),
  }
  const clients = {} as Record<TelemetryMode, { oauth: WorkfrontOAuth; grantId: string }>
  for (const mode of MODES) {
    const inst = instrumentation[mode]
    const oauth = createWorkfrontOAuth({
      clientId: DEMO_WEB_APP.clientId,
      clientSecret: DEMO_WEB_APP.clientSecrets[0] as string,
      redirectUri: DEMO_WEB_APP.redirectUris[0] as string,
      baseUrl: `https://${mock.host}`,
      store: memoryStore(),
      http: (input, init) => mock.fetch(new Request(input, init)),
      ...(inst ? { instrumentation: inst } : {}),
    })
    const { url } = await oauth.startLogin()
    const callback = await completeAuthorization(mock, url, { username: DEMO_USER.username, password: '' })
    clients[mode] = { oauth, grantId: (await oauth.handleCallback(callback)).grant.id }
  }

  const operation = async (workload: TelemetryWorkload, mode: TelemetryMode): Promise<void> => {
    const { oauth, grantId } = clients[mode]
    if (workload === 'access-token') {
      await oauth.getAccessToken(grantId)
      return
    }
    const response = await oauth.fetch(grantId, 'proj/search?$$LIMIT=1')
    await response.body?.cancel()
  }
  const measure = async (
    workload: TelemetryWorkload,
    mode: TelemetryMode,
    ops: number,
  ): Promise<{ wall: number; cpu: number }> => {
    let next = 0
    const lane = async (): Promise<void> => {
      while (next++ < ops) await operation(workload, mode)
    }
    const began = performance.now()
    const cpu = process.cpuUsage()
    await Promise.all(Array.from({ length: options.concurrency[workload] }, lane))
    const used = process.cpuUsage(cpu)
    return {
      wall: ((performance.now() - began) * 1e6) / ops,
      cpu: ((used.user + used.system) * 1e3) / ops,
    }
  }

  const rows: TelemetryRow[] = []
  for (const workload of WORKLOADS) {
    const samples: Record<TelemetryMode, { wall: number; cpu: number }[]> = { off: [], noop: [], sdk: [] }
    for (const mode of MODES) await measure(workload, mode, Math.ceil(options.ops[workload] / 4)) // warm-up
    for (let round = 0; round < options.rounds; round++) {
      for (const mode of rotate(MODES, round)) {
        samples[mode].push(await measure(workload, mode, options.ops[workload]))
      }
      options.log(
        `telemetry ${workload} round ${round + 1}: ${MODES.map((m) => `${m} ${samples[m].at(-1)?.cpu.toFixed(0)} ns CPU/op`).join(', ')}`,
      )
    }
    const off = median(samples.off.map((s) => s.cpu))
    for (const mode of MODES) {
      const cpuNsPerOp = median(samples[mode].map((s) => s.cpu))
      rows.push({
        workload,
        mode,
        nsPerOp: median(samples[mode].map((s) => s.wall)),
        cpuNsPerOp,
        ratioToOff: ratio(cpuNsPerOp, off),
        rounds: samples[mode],
      })
    }
  }
  await tracerProvider.forceFlush()
  await tracerProvider.shutdown()
  await meterProvider.shutdown()
  return {
    rounds: options.rounds,
    ops: options.ops,
    concurrency: options.concurrency,
    spansExported: exporter.count,
    rows,
  }
}
