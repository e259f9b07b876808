/**
 * One app instance of the multi-process tests (`../storm.test.ts`), run as its own Node process: the core
 * over this package's Redis store, against the Workfront mock served by the test process.
 *
 * Protocol over the IPC channel: the worker connects, sends `ready`, waits for `go` (so that every worker
 * starts its callers at the same moment), makes `calls` concurrent `getAccessToken` calls, optionally
 * one API call, and sends `done` with one outcome per call: `token:<access token>` or `error:<code>`
 * (`untyped:<name>` for anything that is not a `WorkfrontOAuthError`, which the tests treat as a bug).
 *
 * The test builds this file with tsdown before spawning it (see `storm.test.ts`).
 */
import { once } from 'node:events'
import process from 'node:process'
import { createWorkfrontOAuth, isWorkfrontOAuthError } from '@workfront-oauth/core'
import { createWorkfrontServerAuth } from '@workfront-oauth/core/server'
import { Redis } from 'ioredis'
import { redisStore } from '../redis-store.ts'

export interface WorkerConfig {
  redisUrl: string
  keyPrefix: string
  baseUrl: string
  clientId: string
  clientSecret: string
  redirectUri: string
  grantId: string
  /** Concurrent `getAccessToken` calls. */
  calls: number
  /** The session the callers report as rejected by Workfront (what a 401 would tell them). */
  rejectedAccessToken: string
  lockLeaseMs: number
  lockWaitMs: number
  /** The refresh claim's lifetime (the core's `refreshClaimMs`); the core's default when absent. */
  refreshClaimMs?: number
  /** The token request's deadline (the core's `tokenTimeoutMs`); the core's default when absent. */
  tokenTimeoutMs?: number
  /**
   * The store's `commandTimeoutMs`, also ioredis' `commandTimeout` (default 1000 for ioredis, the store's
   * default for the store): a loaded machine needs longer ones, which is what the option is for.
   */
  commandTimeoutMs?: number
  /** The worker exits by itself after this long, whatever happens to its test. Default 60 s. */
  lifetimeMs?: number
  /**
   * Hold every token request this long inside this process before it is sent: a process that dies in
   * this window took the lock but never reached Workfront.
   */
  tokenDelayMs?: number
  /** After the calls, one `oauth.fetch(grantId, 'proj/search')`; its status is reported. */
  apiCheck?: boolean
  /**
   * A server job instead (the JWT flow, `createWorkfrontServerAuth`): `grantId`, `clientId`/`clientSecret`
   * above are then unused and these credentials are.
   */
  server?: { clientId: string; clientSecret: string; customerId: string; userId: string; privateKey: string }
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; outcomes: string[]; apiStatus: number | string | null }

const send = (message: WorkerMessage): Promise<void> =>
  new Promise((resolve, reject) => {
    process.send?.(message, undefined, {}, (error) => (error ? reject(error) : resolve()))
  })

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig
// A worker must never outlive its test, whatever happens to the parent.
setTimeout(() => process.exit(70), config.lifetimeMs ?? 60_000).unref()
const orphaned = (): never => process.exit(71)
process.once('disconnect', orphaned)

const redis = new Redis(config.redisUrl, {
  maxRetriesPerRequest: 1,
  commandTimeout: config.commandTimeoutMs ?? 1000,
  connectTimeout: Math.max(2000, config.commandTimeoutMs ?? 0),
})
redis.on('error', () => {})
const store = redisStore({
  client: redis,
  keyPrefix: config.keyPrefix,
  ...(config.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: config.commandTimeoutMs }),
})
const common = {
  baseUrl: config.baseUrl,
  store,
  lockLeaseMs: config.lockLeaseMs,
  lockWaitMs: config.lockWaitMs,
  ...(config.refreshClaimMs === undefined ? {} : { refreshClaimMs: config.refreshClaimMs }),
  ...(config.tokenTimeoutMs === undefined ? {} : { tokenTimeoutMs: config.tokenTimeoutMs }),
  http: async (input: Request | string | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : input)
    if (config.tokenDelayMs && url.pathname.endsWith('/token')) {
      await new Promise((resolve) => setTimeout(resolve, config.tokenDelayMs))
    }
    return fetch(input, init)
  },
}
/** The two things a caller does: get the session (reporting the rejected one), call the API. */
const app: {
  getAccessToken(rejectedAccessToken: string): Promise<{ accessToken: string }>
  fetch(path: string): Promise<Response>
} = config.server
  ? (() => {
      const auth = createWorkfrontServerAuth({ ...common, ...config.server })
      return {
        getAccessToken: (rejectedAccessToken) => auth.getAccessToken({ rejectedAccessToken }),
        fetch: (path) => auth.fetch(path),
      }
    })()
  : (() => {
      const oauth = createWorkfrontOAuth({
        ...common,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        redirectUri: config.redirectUri,
      })
      return {
        getAccessToken: (rejectedAccessToken) =>
          oauth.getAccessToken(config.grantId, { rejectedAccessToken }),
        fetch: (path) => oauth.fetch(config.grantId, path),
      }
    })()

const outcome = (error: unknown): string =>
  isWorkfrontOAuthError(error) ? `error:${error.code}` : `untyped:${(error as Error)?.name ?? typeof error}`

// On a loaded machine the first command can outlast the 1 s command timeout: try again (bounded) rather
// than die before reporting.
for (let attempt = 1; ; attempt++) {
  try {
    await redis.ping()
    break
  } catch (error) {
    if (attempt >= 20) throw error
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
await send({ type: 'ready' })
await once(process, 'message')

const outcomes = await Promise.all(
  Array.from({ length: config.calls }, () =>
    app.getAccessToken(config.rejectedAccessToken).then((token) => `token:${token.accessToken}`, outcome),
  ),
)
let apiStatus: number | string | null = null
if (config.apiCheck) {
  apiStatus = await app.fetch('proj/search').then(async (response) => {
    await response.body?.cancel()
    return response.status
  }, outcome)
}
await send({ type: 'done', outcomes, apiStatus })
process.off('disconnect', orphaned)
await store.close()
redis.disconnect()
// Idle keep-alive sockets of fetch would hold the process a few seconds more.
process.exit(0)
