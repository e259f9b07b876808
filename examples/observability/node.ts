/**
 * docs/observability.md, "On Node": the OpenTelemetry SDK registered once at start-up, then the client with
 * the instrumentation. Swap the console exporters for OTLP ones (`@opentelemetry/exporter-trace-otlp-http`,
 * `@opentelemetry/exporter-metrics-otlp-http`) to send to a collector.
 */
import { metrics, trace } from '@opentelemetry/api'
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics'
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { BasicTracerProvider, BatchSpanProcessor, ConsoleSpanExporter } from '@opentelemetry/sdk-trace-base'
import type { StoragePort, WorkfrontOAuth } from '@workfront-oauth/core'
import { createWorkfrontOAuth } from '@workfront-oauth/core'
import { openTelemetry } from '@workfront-oauth/opentelemetry'

/** Registers the SDK as the global providers; returns what flushes it (`flush`) and stops it at exit. */
export function startTelemetry(
  spans: SpanExporter = new ConsoleSpanExporter(),
  metricExporter: PushMetricExporter = new ConsoleMetricExporter(),
): { flush(): Promise<void>; shutdown(): Promise<void> } {
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(spans)] })
  const meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 })],
  })
  trace.setGlobalTracerProvider(tracerProvider)
  metrics.setGlobalMeterProvider(meterProvider)
  return {
    async flush() {
      await tracerProvider.forceFlush()
      await meterProvider.forceFlush()
    },
    async shutdown() {
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}

/** The client, instrumented: create it after `startTelemetry()`, so that the metrics reach the SDK. */
export function createClient(store: StoragePort, http?: typeof fetch): WorkfrontOAuth {
  return createWorkfrontOAuth({
    clientId: process.env.WORKFRONT_CLIENT_ID ?? 'demo-client',
    clientSecret: process.env.WORKFRONT_CLIENT_SECRET ?? 'demo-secret',
    redirectUri: 'http://127.0.0.1:8787/auth/callback',
    baseUrl: process.env.WORKFRONT_BASE_URL ?? 'https://acme.my.workfront.com',
    store,
    ...(http ? { http } : {}),
    instrumentation: openTelemetry(),
  })
}
