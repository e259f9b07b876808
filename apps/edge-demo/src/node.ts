#!/usr/bin/env node
/**
 * @module The Node entry: the same demo app on `@hono/node-server`, configured from `process.env` (see the
 * README's environment contract). With `REDIS_URL`, several instances share sessions and coordinate
 * refreshes through `@workfront-oauth/redis-store`; ioredis is imported only then.
 */
import process from 'node:process'
import { serve } from '@hono/node-server'
import type { StoragePort } from '@workfront-oauth/core'
import type { Instrumentation } from '@workfront-oauth/core/adapters'
import { createClientAddressResolver } from '@workfront-oauth/core/adapters'
import { createDemoApp, DEMO_CREDENTIALS } from './app.ts'
import type { DemoConfig } from './config.ts'
import { ConfigError, describeWorkfront, parseConfig } from './config.ts'
import { createDemoMock } from './mock.ts'

function readConfig(): DemoConfig {
  try {
    const config = parseConfig(process.env)
    if (config.sessionStore === 'durable-object') {
      throw new ConfigError(
        'SESSION_STORE',
        '"durable-object" runs on Cloudflare Workers only: use "redis" or "memory"',
      )
    }
    return config
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`edge-demo: configuration error: ${error.message}`)
    process.exit(1)
  }
}

async function openStore(config: DemoConfig): Promise<{ store?: StoragePort; close(): Promise<void> }> {
  if (!config.redisUrl) return { close: async () => undefined }
  const [{ Redis }, { redisStore }] = await Promise.all([
    import('ioredis'),
    import('@workfront-oauth/redis-store'),
  ])
  const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5000 })
  // ioredis reports every failed reconnection; the message names the address, never the password.
  client.on('error', (error: Error) => console.error(`edge-demo: Redis: ${error.message}`))
  const store = redisStore({ client })
  return {
    store,
    async close() {
      await store.close()
      await client.quit().catch(() => client.disconnect())
    },
  }
}

/** `WORKFRONT_OAUTH_OTEL=console`: spans and metrics on the console; the SDK is loaded only then. */
async function openTelemetry(): Promise<{
  instrumentation: Instrumentation
  shutdown(): Promise<void>
} | null> {
  const mode = process.env.WORKFRONT_OAUTH_OTEL
  if (mode === undefined || mode === '' || mode === 'off') return null
  if (mode !== 'console') {
    console.error(`edge-demo: configuration error: WORKFRONT_OAUTH_OTEL must be "console" or "off"`)
    process.exit(1)
  }
  console.log('edge-demo: WORKFRONT_OAUTH_OTEL=console: OpenTelemetry spans and metrics are printed here')
  return (await import('./telemetry.ts')).consoleTelemetry()
}

/** What `@hono/node-server` passes a request's handler: its socket. */
interface NodeBindings {
  incoming?: { socket?: { remoteAddress?: string } }
}

async function main(): Promise<void> {
  const config = readConfig()
  for (const warning of config.warnings) console.warn(`edge-demo: warning: ${warning}`)
  const storage = await openStore(config)
  const telemetry = await openTelemetry()
  // The client's address, for the per-client sign-in limit: the socket's, which behind a proxy is the
  // proxy's, shared by every user, unless TRUST_PROXY names the proxies whose X-Forwarded-For to believe.
  const clientAddress = createClientAddressResolver(config.trustProxy)
  const demo = createDemoApp(config, {
    ...(storage.store ? { store: storage.store } : {}),
    ...(config.workfront.mode === 'mock' ? { mock: createDemoMock(config) } : {}),
    clientAddress: (c) =>
      clientAddress(c.req.raw, (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress),
    ...(telemetry ? { instrumentation: telemetry.instrumentation } : {}),
  })
  const fetch = (request: Request, env: NodeBindings) => demo.app.fetch(request, env)

  const server = serve({ fetch, port: config.port, hostname: config.host }, (info) => {
    const lines = [
      `edge-demo (Node ${process.versions.node}) listening on http://${info.address.includes(':') ? `[${info.address}]` : info.address}:${info.port}`,
      `  Open      ${config.publicUrl}`,
      `  Workfront ${describeWorkfront(config)}`,
      `  Sessions  ${config.redisUrl ? 'Redis (REDIS_URL), shared by every instance' : 'in this process’s memory'}`,
    ]
    if (demo.mock)
      lines.push(
        `  Sign in as ${DEMO_CREDENTIALS.username} / ${DEMO_CREDENTIALS.password} (the mock’s demo user)`,
      )
    console.log(lines.join('\n'))
  })
  server.on('error', (error: NodeJS.ErrnoException) => {
    console.error(
      error.code === 'EADDRINUSE'
        ? `edge-demo: port ${config.port} is in use: set PORT to another one`
        : `edge-demo: server error: ${error.message}`,
    )
    process.exit(1)
  })

  let stopping = false
  const stop = (): void => {
    if (stopping) return
    stopping = true
    // Keep-alive connections would hold close() open; nothing is lost by cutting them.
    setTimeout(() => process.exit(0), 2000).unref()
    server.close(() => {
      void Promise.all([storage.close(), telemetry?.shutdown()]).finally(() => process.exit(0))
    })
    ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

await main()
