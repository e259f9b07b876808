/**
 * @module The demo Worker, put together by its entries from what each build contains: `worker.ts` (the
 * deployable one: Durable Objects, no Redis client, no mock), `worker-redis.ts` (adds ioredis) and
 * `worker-dev.ts` (adds the Workfront mock, for `pnpm demo` and the tests). A build without a part refuses
 * a configuration that needs it, with a message that says which build has it.
 *
 * Stores: the Durable Object store (the default; it holds no connection, so one app serves the isolate),
 * memory (only when `SESSION_STORE=memory`: one isolate, e.g. a test), or Redis with `REDIS_URL` — then each
 * request gets its own connection and app, because workerd binds a socket to the request that opened it.
 *
 * `WORKFRONT_OAUTH_OTEL=console` prints the OAuth client's OpenTelemetry spans and metrics
 * (`worker-telemetry.ts`), in the builds that have the SDK: the Redis and dev ones. The deployable Worker
 * does not carry it (it would be most of its code) and refuses the setting.
 */
import { durableObjectStore, type WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'
import { memoryStore, type StoragePort } from '@workfront-oauth/core'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import type { DemoApp } from './app.ts'
import { createDemoApp } from './app.ts'
import type { DemoConfig, SessionStore } from './config.ts'
import { ConfigError, describeWorkfront, parseConfig } from './config.ts'
import type { WorkerTelemetry } from './worker-telemetry.ts'

export interface Env {
  PUBLIC_URL?: string
  WORKFRONT_BASE_URL?: string
  WORKFRONT_MOCK?: string
  WORKFRONT_MULTI_TENANT?: string
  WORKFRONT_CLIENT_ID?: string
  WORKFRONT_CLIENT_SECRET?: string
  WORKFRONT_CLIENT_AUTH?: string
  WORKFRONT_API_VERSION?: string
  REDIS_URL?: string
  SESSION_STORE?: string
  SESSION_SECRET?: string
  TOKEN_ENCRYPTION_KEY?: string
  TOKEN_ENCRYPTION_RETIRED_KEY_IDS?: string
  /** `console`: the OAuth client's OpenTelemetry spans and metrics on the console; `off` or unset: none. */
  WORKFRONT_OAUTH_OTEL?: string
  /** The Durable Object namespace of the session store (wrangler.jsonc). */
  WORKFRONT_OAUTH_STORE?: DurableObjectNamespace<WorkfrontOAuthStore>
}

/** A store on a connection that lives as long as one request. */
export interface RequestStore {
  store: StoragePort
  close(): Promise<void>
}

export interface WorkerParts {
  /** Mock mode: the demo's Workfront mock. Without it, the Worker needs a real Workfront. */
  createMock?: (config: DemoConfig) => WorkfrontMock
  /** `REDIS_URL`: a store on a new connection. Without it, the Worker refuses `REDIS_URL`. */
  connectRedis?: (url: string) => Promise<RequestStore>
  /**
   * `WORKFRONT_OAUTH_OTEL=console`: the OpenTelemetry SDK's console exporters. Without it, the Worker
   * refuses `console`.
   */
  telemetry?: () => WorkerTelemetry
  /** Names the build that has the missing part, in configuration errors. */
  build: string
}

interface Isolate {
  config: DemoConfig
  mock: WorkfrontMock | null
  /** Every store but Redis: the one app of this isolate. */
  app: DemoApp | null
  /** `WORKFRONT_OAUTH_OTEL=console`: the isolate's exporters. */
  telemetry: WorkerTelemetry | null
}

/** `WORKFRONT_OAUTH_OTEL`: the console exporters, or none. */
function telemetryOf(mode: string | undefined, parts: WorkerParts): WorkerTelemetry | null {
  if (mode === undefined || mode === '' || mode === 'off') return null
  if (mode !== 'console') throw new ConfigError('WORKFRONT_OAUTH_OTEL', 'must be "console" or "off"')
  if (!parts.telemetry) {
    throw new ConfigError(
      'WORKFRONT_OAUTH_OTEL',
      `is "console", but ${parts.build} has no OpenTelemetry SDK: \`pnpm demo\` and \`wrangler deploy --env redis\` have it`,
    )
  }
  console.log('edge-demo: WORKFRONT_OAUTH_OTEL=console: OpenTelemetry spans and metrics are printed here')
  return parts.telemetry()
}

const STORE_LABEL: Record<SessionStore, string> = {
  'durable-object': 'Durable Objects',
  redis: 'Redis (a connection per request)',
  memory: 'memory (this isolate only)',
}

export function createWorker(parts: WorkerParts): ExportedHandler<Env> {
  let isolate: Isolate | undefined

  function setUp(env: Env): Isolate {
    const config = parseConfig(env as Record<string, unknown>)
    const kind: SessionStore = config.sessionStore ?? 'durable-object'
    if (config.workfront.mode === 'mock' && !parts.createMock) {
      throw new ConfigError(
        'WORKFRONT_BASE_URL',
        `is required: ${parts.build} has no Workfront mock (\`pnpm demo\` runs the one that has)`,
      )
    }
    if (kind === 'redis' && !parts.connectRedis) {
      throw new ConfigError(
        'REDIS_URL',
        `is set, but ${parts.build} has no Redis client: deploy with \`wrangler deploy --env redis\``,
      )
    }
    if (kind === 'durable-object' && !env.WORKFRONT_OAUTH_STORE) {
      throw new ConfigError(
        'WORKFRONT_OAUTH_STORE',
        'the Durable Object binding is missing: bind WorkfrontOAuthStore in wrangler.jsonc (see the README)',
      )
    }
    console.log(`edge-demo: Workfront is ${describeWorkfront(config)}; sessions in ${STORE_LABEL[kind]}`)
    for (const warning of config.warnings) console.warn(`edge-demo: warning: ${warning}`)
    const telemetry = telemetryOf(env.WORKFRONT_OAUTH_OTEL, parts)
    const mock = config.workfront.mode === 'mock' ? (parts.createMock?.(config) ?? null) : null
    const store =
      kind === 'memory'
        ? memoryStore()
        : kind === 'durable-object'
          ? durableObjectStore({
              namespace: env.WORKFRONT_OAUTH_STORE as DurableObjectNamespace<WorkfrontOAuthStore>,
            })
          : null
    const instrumentation = telemetry ? { instrumentation: telemetry.instrumentation } : {}
    const app = store ? createDemoApp(config, { store, ...(mock ? { mock } : {}), ...instrumentation }) : null
    return { config, mock, app, telemetry }
  }

  return {
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
      const { telemetry } = isolate
      try {
        return await respond(isolate, request, env, ctx)
      } finally {
        // What this request recorded is printed after the response, before the isolate may stop.
        if (telemetry) ctx.waitUntil(telemetry.flush())
      }
    },
  }

  async function respond(
    isolate: Isolate,
    request: Request,
    env: Env,
    ctx: ExecutionContext,
  ): Promise<Response> {
    const { config, mock, app, telemetry } = isolate
    if (app) {
      try {
        return await app.app.fetch(request, env, ctx)
      } finally {
        // Rotated tokens the store refused are written after the response: the isolate must not stop
        // before. The adapter's routes hand them over themselves; the dashboard drives the core directly.
        const pending = app.oauth.pendingWrites()
        if (pending !== null) ctx.waitUntil(pending)
      }
    }

    const connection = await (parts.connectRedis as NonNullable<WorkerParts['connectRedis']>)(
      config.redisUrl as string,
    )
    let perRequest: DemoApp | undefined
    try {
      perRequest = createDemoApp(config, {
        store: connection.store,
        perRequest: true,
        ...(mock ? { mock } : {}),
        ...(telemetry ? { instrumentation: telemetry.instrumentation } : {}),
      })
      return await perRequest.app.fetch(request, env, ctx)
    } finally {
      // Held rotated tokens are written over this connection: close it only once they are in Redis.
      const pending = perRequest?.oauth.pendingWrites() ?? null
      ctx.waitUntil(pending === null ? connection.close() : pending.then(() => connection.close()))
    }
  }
}
