/**
 * The near cache of grants on a real Redis, printed as figures (no assertion on time): two app instances
 * (each with its own Redis connections, as two processes have) share one redis-server on loopback.
 *
 * - hit rate: authenticated requests served by instance B over many sessions, against the Redis reads
 *   they caused;
 * - invalidation latency: from the moment a logout on A has resolved until B refuses the session, with
 *   the changes channel (pub/sub) and without it (only the maximum age bounds it).
 *
 *   pnpm --filter @workfront-oauth/bench exec tsx src/near-cache/run.ts [sessions] [requests]
 */
import {
  createWorkfrontOAuth,
  isWorkfrontOAuthError,
  type StoragePort,
  type WorkfrontOAuth,
} from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { Redis } from 'ioredis'
import { createBenchMock } from '../lib/bench-mock.ts'
import { BENCH_APP } from '../lib/constants.ts'
import { now, quantile } from '../lib/stats.ts'

const SESSIONS = Number(process.argv[2] ?? 200)
const REQUESTS = Number(process.argv[3] ?? 20_000)
const FALLBACK_MAX_AGE_MS = 500

const redis = await startRedisServer()
const mock = createBenchMock()
const clients: Redis[] = []
const closers: (() => Promise<void>)[] = []

function instance(options: { channel: boolean; maxAgeMs: number }) {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 })
  clients.push(client)
  const store = redisStore({
    client,
    keyPrefix: 'bench-near:',
    ...(options.channel ? {} : { waitStrategy: 'poll' }),
  })
  closers.push(() => store.close())
  const reads = { count: 0 }
  const counted: StoragePort = {
    ...store,
    getVersioned(key) {
      reads.count++
      return store.getVersioned(key)
    },
  }
  const oauth = createWorkfrontOAuth({
    clientId: BENCH_APP.clientId,
    clientSecret: BENCH_APP.clientSecret,
    redirectUri: BENCH_APP.redirectUri,
    baseUrl: `https://${mock.host}`,
    store: counted,
    http: (input, init) => mock.fetch(new Request(input, init)),
    nearCache: { maxAgeMs: options.maxAgeMs },
  })
  return { oauth, reads }
}

async function signIn(oauth: WorkfrontOAuth): Promise<string> {
  const { url } = await oauth.startLogin()
  const consent = await mock.fetch(new Request(url))
  const callback = consent.headers.get('location')
  if (!callback) throw new Error(`authorize answered ${consent.status}`)
  return (await oauth.handleCallback(new URL(callback))).grant.id
}

/** Milliseconds from now until `oauth` refuses the grant (checked between event-loop turns). */
async function untilRefused(oauth: WorkfrontOAuth, grantId: string): Promise<number> {
  const start = now()
  for (;;) {
    try {
      await oauth.getAccessToken(grantId)
    } catch (error) {
      if (isWorkfrontOAuthError(error, 'grant_not_found')) return now() - start
      throw error
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
}

const figures = (samples: number[]): string =>
  `p50 ${quantile(samples, 0.5).toFixed(2)} ms, p99 ${quantile(samples, 0.99).toFixed(2)} ms, max ${Math.max(...samples).toFixed(2)} ms (${samples.length} logouts)`

try {
  const a = instance({ channel: true, maxAgeMs: 5_000 })
  const b = instance({ channel: true, maxAgeMs: 5_000 })
  const grants: string[] = []
  for (let i = 0; i < SESSIONS; i++) grants.push(await signIn(a.oauth))

  // Hit rate in steady state: B serves requests spread over every session.
  b.reads.count = 0
  for (let i = 0; i < REQUESTS; i++) await b.oauth.getAccessToken(grants[i % SESSIONS] as string)
  const hitRate = 1 - b.reads.count / REQUESTS
  console.log(
    `near cache hit rate: ${(hitRate * 100).toFixed(2)} % (${REQUESTS} requests over ${SESSIONS} sessions, ${b.reads.count} Redis reads; the first request of each session misses)`,
  )

  // Invalidation with the channel: B holds every session; A logs each out.
  const withChannel: number[] = []
  for (const grantId of grants) {
    await b.oauth.getAccessToken(grantId)
    await a.oauth.logout(grantId)
    withChannel.push(await untilRefused(b.oauth, grantId))
  }
  console.log(`logout on A → refused on B, changes channel (pub/sub): ${figures(withChannel)}`)

  // Without a channel: the maximum age is the bound.
  const c = instance({ channel: false, maxAgeMs: FALLBACK_MAX_AGE_MS })
  const fallback: number[] = []
  for (let i = 0; i < 20; i++) {
    const grantId = await signIn(a.oauth)
    await c.oauth.getAccessToken(grantId)
    await a.oauth.logout(grantId)
    fallback.push(await untilRefused(c.oauth, grantId))
  }
  console.log(`logout on A → refused on C, no channel, maxAgeMs ${FALLBACK_MAX_AGE_MS}: ${figures(fallback)}`)
} finally {
  await Promise.all(closers.map((close) => close()))
  for (const client of clients) client.disconnect()
  await redis.stop()
}
