/**
 * The README's example: a sign-in and an API call against the in-process Workfront mock, with the
 * OpenTelemetry SDK printing every span to the console. Run it with `node readme.mjs` (or `tsx readme.ts`).
 */
import { BasicTracerProvider, ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import { openTelemetry } from '@workfront-oauth/opentelemetry'
import { createWorkfrontMock } from '@workfront-oauth/workfront-mock'

// The application owns the SDK: here, a console exporter. In production, an OTLP exporter to a collector, and a
// meter provider for the workfront_oauth.* metrics (see docs/observability.md).
const tracerProvider = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(new ConsoleSpanExporter())],
})
const mock = createWorkfrontMock({ autoConsent: { username: 'demo@acme.test' } })
const oauth = createWorkfrontOAuth({
  clientId: 'demo-client',
  clientSecret: 'demo-secret',
  redirectUri: 'http://127.0.0.1:8787/auth/callback',
  baseUrl: `https://${mock.host}`,
  store: memoryStore(),
  http: (input, init) => mock.fetch(new Request(input, init)),
  instrumentation: openTelemetry({ tracerProvider }),
})

// Prints the spans workfront_oauth.login, workfront_oauth.callback (with `POST /integrations/oauth2/api/v1/token`
// inside), workfront_oauth.api_call.
const { url } = await oauth.startLogin()
const callback = new URL((await mock.fetch(new Request(url))).headers.get('location') ?? '')
const { grant } = await oauth.handleCallback(callback)
const response = await oauth.fetch(grant.id, 'proj/search')
console.log('API status:', response.status)
await tracerProvider.shutdown()
