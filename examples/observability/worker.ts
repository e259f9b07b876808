/**
 * docs/observability.md, "On Cloudflare Workers": the SDK's providers made once per isolate and handed to
 * the instrumentation (a Worker has no global set-up step), flushed after each request with
 * `ctx.waitUntil`, so that the isolate is not stopped before the spans are out.
 */
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import { openTelemetry } from '@workfront-oauth/opentelemetry'

interface Env {
  WORKFRONT_CLIENT_ID: string
  WORKFRONT_CLIENT_SECRET: string
  WORKFRONT_BASE_URL: string
}

const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
})
const meterProvider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new ConsoleMetricExporter(),
      exportIntervalMillis: 60_000,
    }),
  ],
})
const instrumentation = openTelemetry({ tracerProvider, meterProvider })

let oauth: WorkfrontOAuth | undefined

export default {
  async fetch(request, env, ctx): Promise<Response> {
    oauth ??= createWorkfrontOAuth({
      clientId: env.WORKFRONT_CLIENT_ID,
      clientSecret: env.WORKFRONT_CLIENT_SECRET,
      redirectUri: new URL('/auth/callback', request.url).href,
      baseUrl: env.WORKFRONT_BASE_URL,
      store: memoryStore(),
      instrumentation,
    })
    try {
      const { url } = await oauth.startLogin()
      return Response.redirect(url, 302)
    } finally {
      ctx.waitUntil(Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]))
    }
  },
} satisfies ExportedHandler<Env>
