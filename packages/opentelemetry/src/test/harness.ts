/**
 * Test harness, the same on Node and in workerd: the real OpenTelemetry SDK recording into its in-memory
 * exporters, the Workfront mock as the HTTP port (with every secret that crosses it collected), and
 * helpers that read the span tree and the metric values back.
 */
import type { Attributes } from '@opentelemetry/api'
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { HTTPClient } from '@workfront-oauth/core'
import type { Instrumentation } from '@workfront-oauth/core/adapters'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { openTelemetry } from '../index.ts'

/** The SDK recording in memory, and the instrumentation over it. */
export interface Recording {
  instrumentation: Instrumentation
  spans(): ReadableSpan[]
  /** Collects and returns the metrics as they stand (cumulative). */
  metrics(): Promise<MetricData[]>
  shutdown(): Promise<void>
}

export function recording(): Recording {
  const spanExporter = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] })
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  // Exports only when flushed: the interval is a bound that no test reaches.
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 3_600_000,
  })
  const meterProvider = new MeterProvider({ readers: [reader] })
  return {
    instrumentation: openTelemetry({ tracerProvider, meterProvider }),
    spans: () => spanExporter.getFinishedSpans(),
    async metrics() {
      await reader.forceFlush()
      const all: ResourceMetrics[] = metricExporter.getMetrics()
      const last = all[all.length - 1]
      return last ? last.scopeMetrics.flatMap((scope) => scope.metrics) : []
    },
    async shutdown() {
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}

const matches = (attributes: Attributes, wanted: Attributes): boolean =>
  Object.entries(wanted).every(([key, value]) => attributes[key] === value)

/** The sum of a counter's data points whose attributes include `wanted`. */
export function counted(metrics: MetricData[], name: string, wanted: Attributes = {}): number {
  const metric = metrics.find((m) => m.descriptor.name === name)
  if (!metric || metric.dataPointType !== DataPointType.SUM) return 0
  return metric.dataPoints
    .filter((point) => matches(point.attributes, wanted))
    .reduce((sum, point) => sum + (point.value as number), 0)
}

/** How many values a histogram recorded in the data points whose attributes include `wanted`. */
export function recorded(metrics: MetricData[], name: string, wanted: Attributes = {}): number {
  const metric = metrics.find((m) => m.descriptor.name === name)
  if (!metric || metric.dataPointType !== DataPointType.HISTOGRAM) return 0
  return metric.dataPoints
    .filter((point) => matches(point.attributes, wanted))
    .reduce((sum, point) => sum + point.value.count, 0)
}

/** A span and its children, by name: `['workfront_oauth.callback', ['POST /…', 'workfront_oauth.store grant.write']]`. */
export type Tree = [string, Tree[]]

/** The trees of the finished spans, children in start order. */
export function trees(spans: ReadableSpan[]): Tree[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId))
  const byStart = [...spans].sort((a, b) => compareTime(a.startTime, b.startTime))
  const build = (span: ReadableSpan): Tree => [
    span.name,
    byStart.filter((child) => child.parentSpanContext?.spanId === span.spanContext().spanId).map(build),
  ]
  return byStart
    .filter((span) => !span.parentSpanContext || !ids.has(span.parentSpanContext.spanId))
    .map(build)
}

const compareTime = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1]

/** Everything recorded, as text: span names, attributes, events, links, status; metric names and attributes. */
export function exported(spans: ReadableSpan[], metrics: MetricData[]): string {
  return JSON.stringify({
    spans: spans.map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      links: span.links,
      status: span.status,
      resource: span.resource.attributes,
    })),
    metrics: metrics.map((metric) => ({
      descriptor: metric.descriptor,
      points: metric.dataPoints.map((point) => point.attributes),
    })),
  })
}

/** Names of request and response fields that carry secrets. */
const SECRET_FIELDS = [
  'code',
  'state',
  'client_secret',
  'code_verifier',
  'refresh_token',
  'access_token',
  'jwt_token',
  'wid',
]

/**
 * The mock as an HTTP port that also collects every secret crossing it: form, JSON and query fields of
 * requests and token responses, the `sessionID` and `Authorization` headers, and callback URLs' codes.
 */
export function secretCollectingPort(mock: Pick<WorkfrontMock, 'fetch'>): {
  http: HTTPClient
  secrets: Set<string>
} {
  const secrets = new Set<string>()
  const keep = (value: unknown): void => {
    if (typeof value === 'string' && value.length >= 6) secrets.add(value)
  }
  const fields = (record: Record<string, unknown>): void => {
    for (const name of SECRET_FIELDS) keep(record[name])
  }
  const http: HTTPClient = async (input, init) => {
    const request = new Request(input, init)
    const url = new URL(request.url)
    fields(Object.fromEntries(url.searchParams))
    keep(request.headers.get('sessionID'))
    const authorization = request.headers.get('authorization')
    if (authorization) {
      keep(authorization)
      keep(authorization.replace(/^Basic /, ''))
    }
    const body = new TextDecoder().decode(await request.clone().arrayBuffer())
    if (body.startsWith('{')) fields(JSON.parse(body) as Record<string, unknown>)
    else if (body !== '') fields(Object.fromEntries(new URLSearchParams(body)))
    const response = await mock.fetch(request)
    const location = response.headers.get('location')
    if (location) fields(Object.fromEntries(new URL(location, url).searchParams))
    if ((response.headers.get('content-type') ?? '').includes('json')) {
      const text = await response.clone().text()
      try {
        const json = JSON.parse(text) as Record<string, unknown>
        fields(json)
      } catch {
        // Not JSON after all: nothing to collect.
      }
    }
    return response
  }
  return { http, secrets }
}

/** The secrets among `secrets` that appear in `text`. */
export function leaked(text: string, secrets: Iterable<string>): string[] {
  return [...secrets].filter((secret) => text.includes(secret))
}
