/**
 * `WORKFRONT_OAUTH_OTEL=console` on the demo Worker, inside workerd: the one variable turns on the SDK's
 * console exporters (a simple span processor, metrics collected on demand), and what they print — read back
 * from the console, as `wrangler dev` or Workers Logs would show it — is the OAuth client's spans and
 * metrics, with a refresh storm as one refresh span and linked joiners, and no secret anywhere.
 */

import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { createDemoMock } from './mock.ts'
import type { Fetch } from './test/browser-like.ts'
import { createBrowserLike, signIn } from './test/browser-like.ts'
import type { Env } from './worker-app.ts'
import { createWorker } from './worker-app.ts'
import { consoleWorkerTelemetry } from './worker-telemetry.ts'

const ORIGIN = 'http://127.0.0.1:8787'

/** What `ConsoleSpanExporter` prints of a span (`console.dir`). */
interface PrintedSpan {
  name: string
  traceId: string
  id: string
  attributes: Record<string, unknown>
  links: { context: { traceId: string; spanId: string } }[]
}

/** Everything the Worker printed with `console.dir` and `console.log` during a test. */
let printed: unknown[] = []
let lines: string[] = []
const original = { dir: console.dir, log: console.log }

beforeEach(() => {
  printed = []
  lines = []
  console.dir = (item: unknown, options?: Parameters<typeof console.dir>[1]) => {
    printed.push(item)
    original.dir.call(console, item, options)
  }
  console.log = (...args: unknown[]) => {
    lines.push(args.map(String).join(' '))
    original.log.call(console, ...args)
  }
})

afterEach(() => {
  console.dir = original.dir
  console.log = original.log
})

const spans = (): PrintedSpan[] =>
  printed.filter(
    (item): item is PrintedSpan => typeof item === 'object' && item !== null && 'traceId' in item,
  )
const metricNames = (): string[] =>
  printed.flatMap((item) =>
    typeof item === 'object' && item !== null && 'descriptor' in item
      ? [(item as { descriptor: { name: string } }).descriptor.name]
      : [],
  )

/** The demo Worker with `vars`, every request through its fetch handler, each awaited to its `waitUntil`s. */
function worker(vars: Partial<Env>, telemetry: boolean = true): Fetch {
  const handler = createWorker({
    build: 'the test Worker',
    createMock: createDemoMock,
    ...(telemetry ? { telemetry: () => consoleWorkerTelemetry() } : {}),
  })
  const workerEnv = { ...env, ...vars }
  return async (request) => {
    const ctx = createExecutionContext()
    const response = await (handler.fetch as NonNullable<typeof handler.fetch>)(
      request as Parameters<NonNullable<typeof handler.fetch>>[0],
      workerEnv,
      ctx,
    )
    await waitOnExecutionContext(ctx)
    return response
  }
}

it('WORKFRONT_OAUTH_OTEL=console: spans and metrics printed; a refresh storm is one refresh and linked joiners', async () => {
  const send = worker({ WORKFRONT_OAUTH_OTEL: 'console' })
  const browser = createBrowserLike(send, ORIGIN)
  expect((await signIn(browser, { mockFetch: send })).status).toBe(302)
  expect(lines).toContain(
    'edge-demo: WORKFRONT_OAUTH_OTEL=console: OpenTelemetry spans and metrics are printed here',
  )
  expect(spans().map((span) => span.name)).toEqual(
    expect.arrayContaining(['workfront_oauth.login', 'workfront_oauth.callback']),
  )
  // Metrics are printed after the first request, then at most every 30 s.
  expect(metricNames()).toContain('workfront_oauth.operation.duration')

  expect((await browser.post('/mock/expire-sessions')).status).toBe(303)
  const json = { headers: { accept: 'application/json' } }
  const storm = await Promise.all(Array.from({ length: 8 }, () => browser.request('/api/projects', json)))
  expect(storm.map((response) => response.status)).toEqual(Array(8).fill(200))
  const calls = spans().filter((span) => span.name === 'workfront_oauth.api_call')
  const done = calls.filter((span) => span.attributes['workfront_oauth.refresh.outcome'] === 'done')
  expect(done).toHaveLength(1)
  const refresher = done[0] as PrintedSpan
  const joined = calls.filter((span) => span.attributes['workfront_oauth.refresh.outcome'] === 'joined')
  expect(joined.length).toBeGreaterThan(0)
  for (const joiner of joined) {
    expect(joiner.links.map((link) => [link.context.traceId, link.context.spanId])).toEqual([
      [refresher.traceId, refresher.id],
    ])
  }

  // Nothing secret in anything printed: the session cookie, the grant it names.
  const all = JSON.stringify(printed)
  const cookie = browser.jar.get('wf_session') as string
  expect(cookie.length).toBeGreaterThan(20)
  for (const secret of [cookie, cookie.split('.')[0] as string]) expect(all).not.toContain(secret)
})

it('WORKFRONT_OAUTH_OTEL unset or off: nothing is printed of the client', async () => {
  for (const vars of [{}, { WORKFRONT_OAUTH_OTEL: 'off' }]) {
    const send = worker(vars)
    const browser = createBrowserLike(send, ORIGIN)
    expect((await signIn(browser, { mockFetch: send })).status).toBe(302)
  }
  expect(spans()).toEqual([])
  expect(metricNames()).toEqual([])
})

it('WORKFRONT_OAUTH_OTEL=loud: a configuration error naming the variable', async () => {
  const response = await worker({ WORKFRONT_OAUTH_OTEL: 'loud' })(new Request(`${ORIGIN}/`))
  expect(response.status).toBe(500)
  expect(await response.text()).toContain('WORKFRONT_OAUTH_OTEL: must be "console" or "off"')
})

it('a build without the SDK (the deployable Worker) refuses console, naming the builds that have it', async () => {
  const response = await worker({ WORKFRONT_OAUTH_OTEL: 'console' }, false)(new Request(`${ORIGIN}/`))
  expect(response.status).toBe(500)
  expect(await response.text()).toContain(
    'WORKFRONT_OAUTH_OTEL: is "console", but the test Worker has no OpenTelemetry SDK',
  )
})
