/**
 * `WORKFRONT_OAUTH_OTEL=console` (Node entry): the OpenTelemetry SDK with console exporters, so that every
 * sign-in, refresh, lock wait and API call of the demo is printed as spans, and its `workfront_oauth.*`
 * metrics every 30 s. Loaded only when asked for; see docs/observability.md for a real set-up.
 */
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { Instrumentation } from '@workfront-oauth/core/adapters'
import { openTelemetry } from '@workfront-oauth/opentelemetry'

/** The instrumentation printing to the console, and what flushes it at exit. */
export function consoleTelemetry(): { instrumentation: Instrumentation; shutdown(): Promise<void> } {
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
  })
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new ConsoleMetricExporter(),
        exportIntervalMillis: 30_000,
      }),
    ],
  })
  return {
    instrumentation: openTelemetry({ tracerProvider, meterProvider }),
    async shutdown() {
      await tracerProvider.shutdown()
      await meterProvider.shutdown()
    },
  }
}
