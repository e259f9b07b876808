/**
 * @module The Cloudflare Worker entry: the demo app configured from the Worker's `vars` and secrets (the
 * same variables as the Node entry; see the README).
 *
 * Without `REDIS_URL`, the app, its in-memory store and the Workfront mock live as long as the isolate.
 * With `REDIS_URL`, workerd binds a socket to the request that opened it, so each request gets its own
 * ioredis connection (closed after the response) and an app around it; the mock and the secrets still live
 * per isolate. ioredis is imported only then.
 */
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import type { DemoApp } from './app.ts'
import { createDemoApp, createDemoMock } from './app.ts'
import type { DemoConfig } from './config.ts'
import { ConfigError, describeWorkfront, parseConfig } from './config.ts'

export interface Env {
  PUBLIC_URL?: string
  WORKFRONT_BASE_URL?: string
  WORKFRONT_MULTI_TENANT?: string
  WORKFRONT_CLIENT_ID?: string
  WORKFRONT_CLIENT_SECRET?: string
  WORKFRONT_CLIENT_AUTH?: string
  WORKFRONT_API_VERSION?: string
  REDIS_URL?: string
  SESSION_SECRET?: string
  TOKEN_ENCRYPTION_KEY?: string
}

interface Isolate {
  config: DemoConfig
  mock: WorkfrontMock | null
  /** Without Redis: the one app of this isolate. */
  app: DemoApp | null
}

let isolate: Isolate | undefined

function setUp(env: Env): Isolate {
  const config = parseConfig(env as Record<string, unknown>)
  console.log(
    `edge-demo: Workfront is ${describeWorkfront(config)}; sessions in ${config.redisUrl ? 'Redis' : 'memory'}`,
  )
  for (const warning of config.warnings) console.warn(`edge-demo: warning: ${warning}`)
  const mock = config.workfront.mode === 'mock' ? createDemoMock(config) : null
  return { config, mock, app: config.redisUrl ? null : createDemoApp(config, mock ? { mock } : {}) }
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    try {
      isolate ??= setUp(env)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      console.error(`edge-demo: configuration error: ${error.message}`)
      return new Response(`The demo is not configured correctly.\n${error.message}\n`, {
        status: 500,
        headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' },
      })
    }
    const { config, mock, app } = isolate
    if (app) return app.app.fetch(request, env, ctx)

    const [{ Redis }, { redisStore }] = await Promise.all([
      import('ioredis'),
      import('@workfront-oauth/redis-store'),
    ])
    const client = new Redis(config.redisUrl as string, {
      // Fail fast rather than queue while Redis is away; the store maps failures to `store_unavailable`.
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      enableAutoPipelining: true,
    })
    const store = redisStore({ client })
    try {
      const perRequest = createDemoApp(config, { store, ...(mock ? { mock } : {}) })
      return await perRequest.app.fetch(request, env, ctx)
    } finally {
      ctx.waitUntil(
        store
          .close()
          .then(() => client.quit())
          .catch(() => client.disconnect()),
      )
    }
  },
} satisfies ExportedHandler<Env>
