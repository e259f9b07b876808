/**
 * Child process: one app instance in a refresh storm. On `storm` it waits for the shared start time, then
 * fires its share of the N concurrent requests, each one a Workfront API call on behalf of the one grant
 * (whose session the suite has just expired), and reports how many were served and when the last one
 * got its answer.
 *
 * - `library`: `@workfront-oauth/core` with the Redis store, `oauth.fetch(grantId, 'session')`.
 * - `baseline`: openid-client the straightforward way: read the tokens from Redis, call the API, and on 401
 *   refresh with `refreshTokenGrant` and write the result back, each request on its own.
 */
import { createWorkfrontOAuth, isWorkfrontOAuthError } from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { Redis } from 'ioredis'
import * as client from 'openid-client'
import { API_VERSION, BENCH_APP, KEY_PREFIX, TOKEN_PATH } from '../lib/constants.ts'
import { createHTTPPort } from '../lib/http-port.ts'
import { ready, serveParent } from '../lib/ipc.ts'
import { now } from '../lib/stats.ts'

export interface StormRequest {
  type: 'storm'
  impl: 'library' | 'baseline'
  /** The grant id (library) or the Redis key of the token record (baseline). */
  target: string
  n: number
  /** Epoch milliseconds at which every worker fires. */
  at: number
}

export interface StormReport {
  served: number
  failed: number
  /** Epoch milliseconds (high resolution) of the last answer. */
  doneAt: number
  errors: Record<string, number>
}

const mockOrigin = process.env.MOCK_ORIGIN as string
const redisURL = process.env.REDIS_URL as string
const maxSockets = Number(process.env.MAX_SOCKETS ?? 64)

const redis = new Redis(redisURL, { maxRetriesPerRequest: 1, commandTimeout: 20_000, connectTimeout: 5_000 })
const port = createHTTPPort({ maxSockets, timeoutMs: 30_000 })

const store = redisStore({ client: redis, keyPrefix: KEY_PREFIX, commandTimeoutMs: 20_000 })
const oauth = createWorkfrontOAuth({
  clientId: BENCH_APP.clientId,
  clientSecret: BENCH_APP.clientSecret,
  redirectUri: BENCH_APP.redirectUri,
  baseUrl: mockOrigin,
  store,
  http: port.fetch,
  apiVersion: API_VERSION,
  tokenTimeoutMs: 10_000,
  apiTimeoutMs: 30_000,
})

// The baseline: openid-client configured for Workfront's token endpoint, with the customFetch that every
// openid-client user needs for Workfront (it rejects `token_type: "sessionID"` otherwise).
const config = new client.Configuration(
  { issuer: mockOrigin, token_endpoint: `${mockOrigin}${TOKEN_PATH}` },
  BENCH_APP.clientId,
  BENCH_APP.clientSecret,
)
client.allowInsecureRequests(config) // loopback mock only
config.timeout = 10
config[client.customFetch] = async (url, options) => {
  const response = await port.fetch(url, options as RequestInit)
  if (!response.ok) return response
  const body = (await response.json()) as Record<string, unknown>
  const headers = new Headers(response.headers)
  headers.delete('content-length')
  if (body.token_type === 'sessionID') body.token_type = 'bearer'
  return new Response(JSON.stringify(body), { status: response.status, headers })
}

interface StoredTokens {
  access_token: string
  refresh_token: string
}

function callAPI(accessToken: string): Promise<Response> {
  return port.fetch(`${mockOrigin}/attask/api/${API_VERSION}/session`, {
    headers: { sessionID: accessToken, accept: 'application/json' },
  })
}

async function baselineRequest(key: string): Promise<boolean> {
  const stored = JSON.parse((await redis.get(key)) as string) as StoredTokens
  let response = await callAPI(stored.access_token)
  if (response.status === 401) {
    await response.arrayBuffer()
    const tokens = await client.refreshTokenGrant(config, stored.refresh_token)
    const next: StoredTokens = {
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token ?? stored.refresh_token,
    }
    await redis.set(key, JSON.stringify(next))
    response = await callAPI(next.access_token)
  }
  await response.arrayBuffer()
  return response.status === 200
}

async function libraryRequest(grantId: string): Promise<boolean> {
  const response = await oauth.fetch(grantId, 'session')
  await response.arrayBuffer()
  return response.status === 200
}

function errorName(error: unknown): string {
  if (isWorkfrontOAuthError(error)) return error.code
  if (error instanceof Error) return (error as { code?: string }).code ?? error.name
  return 'unknown'
}

async function storm(request: StormRequest): Promise<StormReport> {
  const run = request.impl === 'library' ? libraryRequest : baselineRequest
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, request.at - Date.now())))
  let served = 0
  let failed = 0
  let doneAt = now()
  const errors: Record<string, number> = {}
  const one = async (): Promise<void> => {
    try {
      if (await run(request.target)) served++
      else {
        failed++
        errors.non_200 = (errors.non_200 ?? 0) + 1
      }
    } catch (error) {
      failed++
      const name = errorName(error)
      errors[name] = (errors[name] ?? 0) + 1
    }
    doneAt = now()
  }
  const all: Promise<void>[] = []
  for (let i = 0; i < request.n; i++) all.push(one())
  await Promise.all(all)
  return { served, failed, doneAt, errors }
}

await redis.ping()
// Open the store's subscriber connection now, so that connecting is not part of any storm.
await store.waitForUnlock(`grant:warm-up-${process.pid}`, { timeoutMs: 1 })

serveParent(
  async (message) => {
    if (message.type === 'storm') return storm(message as unknown as StormRequest)
    if (message.type === 'cpu') return process.cpuUsage()
    throw new Error(`unknown request ${message.type}`)
  },
  async () => {
    await store.close()
    redis.disconnect()
    port.close()
  },
)
ready()
