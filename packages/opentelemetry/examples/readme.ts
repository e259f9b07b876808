/**
 * The README's example: a sign-in and an API call against the in-process Workfront mock, with the
 * OpenTelemetry SDK printing every span to the console. Run it with `node readme.mjs` (or `tsx readme.ts`).
 */
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import { openTelemetry } from '@workfront-oauth/opentelemetry'
import { createWorkfrontMock } from '@workfront-oauth/workfront-mock'

// The application owns the SDK: here, console exporters. In production, OTLP exporters to a collector.
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

const mock = createWorkfrontMock({ autoConsent: { username: 'demo@acme.test' } })
const oauth = createWorkfrontOAuth({
  clientId: 'demo-client',
  clientSecret: 'demo-secret',
  redirectUri: 'http://127.0.0.1:8787/auth/callback',
  baseUrl: `https://${mock.host}`,
  store: memoryStore(),
  http: (input, init) => mock.fetch(new Request(input, init)),
  instrumentation: openTelemetry({ tracerProvider, meterProvider }),
})

// Prints the spans workfront_oauth.login, workfront_oauth.callback (with `POST /integrations/oauth2/api/v1/token`
// inside), workfront_oauth.api_call; then, at shutdown, the workfront_oauth.* metrics.
const { url } = await oauth.startLogin()
const callback = new URL((await mock.fetch(new Request(url))).headers.get('location') ?? '')
const { grant } = await oauth.handleCallback(callback)
const response = await oauth.fetch(grant.id, 'proj/search')
console.log('API status:', response.status)
await tracerProvider.shutdown()
await meterProvider.shutdown()
