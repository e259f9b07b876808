/**
 * docs/observability.md's Node example, run: the SDK registered globally by `startTelemetry()`, the client
 * it instruments signs a user in against the Workfront mock, and the spans and metrics reach the exporters.
 */
import { AggregationTemporality, InMemoryMetricExporter } from '@opentelemetry/sdk-metrics'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { memoryStore } from '@workfront-oauth/core'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { expect, it } from 'vitest'
import { createClient, startTelemetry } from '../observability/node.ts'

it('the Node wiring exports a span per operation and the workfront_oauth.* metrics', async () => {
  const mock = createWorkfrontMock()
  process.env.WORKFRONT_BASE_URL = `https://${mock.host}`
  const spans = new InMemorySpanExporter()
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const telemetry = startTelemetry(spans, metrics)
  const oauth = createClient(memoryStore(), (input, init) => mock.fetch(new Request(input, init)))
  const { url } = await oauth.startLogin()
  const callback = await completeAuthorization(mock, url, {
    username: DEMO_USER.username,
    password: DEMO_USER.password,
  })
  const { grant } = await oauth.handleCallback(callback)
  expect((await oauth.fetch(grant.id, 'proj/search')).status).toBe(200)
  await telemetry.flush()
  expect(spans.getFinishedSpans().map((span) => span.name)).toEqual(
    expect.arrayContaining(['workfront_oauth.login', 'workfront_oauth.callback', 'workfront_oauth.api_call']),
  )
  const names = metrics
    .getMetrics()
    .flatMap((resource) =>
      resource.scopeMetrics.flatMap((scope) => scope.metrics.map((m) => m.descriptor.name)),
    )
  expect(names).toEqual(
    expect.arrayContaining(['workfront_oauth.sign_ins', 'workfront_oauth.token_requests']),
  )
})
