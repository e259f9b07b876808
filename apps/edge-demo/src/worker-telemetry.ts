/**
 * `WORKFRONT_OAUTH_OTEL=console` (Worker entries): the OpenTelemetry SDK with console exporters, made once
 * per isolate, as the Node entry's `telemetry.ts` does with a start-up step a Worker does not have. Each span
 * is printed as it ends (a simple span processor; `wrangler dev` shows it, a deployed Worker sends it to
 * Workers Logs and `wrangler tail`). The `workfront_oauth.*` metrics are printed at the end of a request at
 * most every 30 s: a Worker runs no timer between requests, so they are collected on demand rather than by a
 * periodic reader. The Worker hands `flush()` to `ctx.waitUntil` after each request.
 */
import type { MetricReaderOptions, PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { ConsoleMetricExporter, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { Instrumentation } from '@workfront-oauth/core/adapters'
import { openTelemetry } from '@workfront-oauth/opentelemetry'

/** The instrumentation of a Worker's isolate, and what prints what it recorded. */
export interface WorkerTelemetry {
  instrumentation: Instrumentation
  /** Prints the spans not yet printed, and the metrics when 30 s have passed since they last were. */
  flush(): Promise<void>
}

/** How often the metrics are printed, at most. */
const METRICS_EVERY_MS = 30_000

/** A reader that collects only when asked: no timer, which a Worker would not keep between requests. */
class OnDemandReader extends MetricReader {
  constructor(
    private readonly exporter: PushMetricExporter,
    options?: MetricReaderOptions,
  ) {
    super(options)
  }

  /** Collects the metrics as they stand and hands them to the exporter. */
  async export(): Promise<void> {
    const { resourceMetrics } = await this.collect()
    await new Promise<void>((resolve) =>
      this.exporter.export(resourceMetrics as ResourceMetrics, () => resolve()),
    )
  }

  protected async onForceFlush(): Promise<void> {
    await this.exporter.forceFlush()
  }

  protected async onShutdown(): Promise<void> {
    await this.exporter.shutdown()
  }
}

/** The console exporters for one isolate; `now` is the clock of the metrics' 30 s. */
export function consoleWorkerTelemetry(now: () => number = Date.now): WorkerTelemetry {
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
  })
  const reader = new OnDemandReader(new ConsoleMetricExporter())
  const meterProvider = new MeterProvider({ readers: [reader] })
  let printed = Number.NEGATIVE_INFINITY
  return {
    instrumentation: openTelemetry({ tracerProvider, meterProvider }),
    async flush() {
      await tracerProvider.forceFlush()
      if (now() - printed < METRICS_EVERY_MS) return
      printed = now()
      await reader.export()
    },
  }
}
