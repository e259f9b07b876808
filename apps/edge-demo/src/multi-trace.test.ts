/**
 * `WORKFRONT_OAUTH_OTEL=console pnpm demo:multi` (`dist/node/multi.mjs`, as built): a refresh storm across
 * the two instances reads as one trace in what they print. Exactly one span refreshed (`done`, with the token
 * request inside); every span that joined — in the same instance, or in the other one after waiting for the
 * refresh lock — links to that span (the trace context travelled with the refresh claim through Redis). The
 * console output is the SDK's `ConsoleSpanExporter`, read back here as a person would read it.
 */
import { fileURLToPath } from 'node:url'
import { eventually } from '@workfront-oauth/test-kit'
import { afterAll, expect, it } from 'vitest'
import { freePort } from './dev/ports.ts'
import { createBrowserLike, signIn } from './test/browser-like.ts'
import { type Started, startProcess } from './test/processes.ts'

let launcher: Started | undefined
afterAll(async () => {
  await launcher?.stop()
})

/** A span as `ConsoleSpanExporter` printed it, with the instance that printed it. */
interface PrintedSpan {
  instance: string
  name: string
  traceId: string
  id: string
  outcome: string | undefined
  /** `traceId/spanId` of each link. */
  links: string[]
}

/**
 * The spans in the launcher's output: `console.dir` blocks from `{` to `}` at the start of a line, each line
 * prefixed with its instance (`[A] `); top-level fields are indented by two spaces.
 */
function printedSpans(output: string): PrintedSpan[] {
  const blocks = new Map<string, string[]>()
  const spans: PrintedSpan[] = []
  for (const line of output.split('\n')) {
    const match = /^\[([AB])\] (.*)$/.exec(line)
    if (!match) continue
    const [, instance, text] = match as unknown as [string, string, string]
    if (text === '{') blocks.set(instance, [])
    else if (text === '}') {
      const block = blocks.get(instance)
      blocks.delete(instance)
      const span = block && parseSpan(instance, block.join('\n'))
      if (span) spans.push(span)
    } else blocks.get(instance)?.push(text)
  }
  return spans
}

function parseSpan(instance: string, block: string): PrintedSpan | undefined {
  const name = /^ {2}name: '([^']+)'/m.exec(block)?.[1]
  const traceId = /^ {2}traceId: '([0-9a-f]{32})'/m.exec(block)?.[1]
  const id = /^ {2}id: '([0-9a-f]{16})'/m.exec(block)?.[1]
  if (!name || !traceId || !id) return undefined
  const links = block.slice(block.search(/^ {2}links: /m))
  return {
    instance,
    name,
    traceId,
    id,
    outcome: /'workfront_oauth\.refresh\.outcome': '(\w+)'/.exec(block)?.[1],
    links: [...links.matchAll(/traceId: '([0-9a-f]{32})',\s*spanId: '([0-9a-f]{16})'/g)].map(
      ([, trace, span]) => `${trace}/${span}`,
    ),
  }
}

it('WORKFRONT_OAUTH_OTEL=console: a refresh storm across both instances is one refresh span and linked joiners', async () => {
  const port = await freePort()
  launcher = await startProcess({
    name: 'demo:multi',
    command: process.execPath,
    args: [fileURLToPath(new URL('../dist/node/multi.mjs', import.meta.url))],
    env: { ...process.env, PORT: String(port), WORKFRONT_OAUTH_OTEL: 'console' },
    ready: /Ctrl-C stops everything/,
    timeoutMs: 60_000,
  })
  // The launcher's own buffer keeps the last 20 000 characters; the spans of a storm are more.
  let output = ''
  launcher.process.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const banner = launcher.output()
  expect(banner).toContain('OpenTelemetry spans and metrics are printed here')
  const origin = `http://127.0.0.1:${port}`
  const mockOrigin = /one mock for both, (http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1]!
  const browser = createBrowserLike((request) => fetch(request), origin)
  expect((await signIn(browser, { mockFetch: (request) => fetch(request) })).status).toBe(302)
  const json = { headers: { accept: 'application/json' } }
  for (let i = 0; i < 2; i++) expect((await browser.request('/api/projects', json)).status).toBe(200)

  const expire = await fetch(`${mockOrigin}/__mock/sessions/expire`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
  })
  expect(expire.status).toBe(200)
  // The refresh takes 1.5 s at Workfront: the storm's other requests meet it in flight and join it, however
  // slowly a loaded machine sends them (without it, a refresh done before the next request arrives leaves
  // nobody to join).
  const slow = await fetch(`${mockOrigin}/__mock/latency`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: 1_500 }),
  })
  expect(slow.status).toBe(200)
  const storm = await Promise.all(Array.from({ length: 12 }, () => browser.request('/api/projects', json)))
  expect(storm.map((r) => r.status)).toEqual(Array(12).fill(200))
  const counters = (await (await fetch(`${mockOrigin}/__mock/counters`)).json()) as {
    tokenCalls: { refresh_token: number }
  }
  expect(counters.tokenCalls.refresh_token).toBe(1)

  // Each span is printed as it ends (a simple span processor), then relayed by the launcher: wait for all
  // 14 API calls' spans to come through.
  const apiCalls = (): number =>
    printedSpans(output).filter((span) => span.name === 'workfront_oauth.api_call').length
  await eventually(() => apiCalls() >= 14)
  expect(apiCalls()).toBe(14)
  const spans = printedSpans(output)
  const done = spans.filter((span) => span.outcome === 'done')
  expect(done.map((span) => span.name)).toEqual(['workfront_oauth.api_call'])
  const refresher = done[0] as PrintedSpan
  const token = spans.filter((s) => s.name === 'POST /integrations/oauth2/api/v1/token')
  expect(token.filter((s) => s.traceId === refresher.traceId)).toHaveLength(1)
  const joined = spans.filter((span) => span.outcome === 'joined')
  expect(joined.length).toBeGreaterThan(0)
  for (const joiner of joined) expect(joiner.links).toEqual([`${refresher.traceId}/${refresher.id}`])
  console.log(
    `the storm: one refresh on ${refresher.instance}; joined: ${joined.filter((s) => s.instance === refresher.instance).length} ` +
      `on the same instance, ${joined.filter((s) => s.instance !== refresher.instance).length} on the other`,
  )
  expect(output).not.toMatch(/refresh_token=|access_token|sessionID: '/)
})
