/**
 * The near cache of grants on a real Redis, part of the overhead suite: two app instances (each with its
 * own Redis connections, as two processes have) on the suite's redis-server.
 *
 * - hit rate: authenticated requests served by instance B over many sessions, against the Redis reads
 *   they caused;
 * - invalidation latency: from the moment a logout on A has resolved until B refuses the session, with
 *   the changes channel (pub/sub) and without it (only the maximum age bounds it).
 *
 * Figures only: nothing here asserts a time.
 */
import { isWorkfrontOAuthError, type StoragePort, type WorkfrontOAuth } from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { Redis } from 'ioredis'
import { benchOAuth, createBenchMock } from '../lib/bench-mock.ts'
import { now, quantile } from '../lib/stats.ts'

export interface NearCacheOptions {
  sessions: number
  requests: number
  /** Logouts measured without a channel, each waiting up to `fallbackMaxAgeMs`. */
  fallbackSamples: number
  fallbackMaxAgeMs: number
}

export interface LatencyFigures {
  p50Ms: number
  p99Ms: number
  maxMs: number
  samples: number
}

export interface NearCacheResult {
  sessions: number
  requests: number
  redisReads: number
  hitRate: number
  withChannel: LatencyFigures
  withoutChannel: LatencyFigures & { maxAgeMs: number }
}

const figures = (samples: number[]): LatencyFigures => ({
  p50Ms: quantile(samples, 0.5),
  p99Ms: quantile(samples, 0.99),
  maxMs: Math.max(...samples),
  samples: samples.length,
})

export async function measureNearCache(
  redisURL: string,
  options: NearCacheOptions,
): Promise<NearCacheResult> {
  const mock = createBenchMock()
  const clients: Redis[] = []
  const closers: (() => Promise<void>)[] = []

  function instance(settings: { channel: boolean; maxAgeMs: number }) {
    const client = new Redis(redisURL, { maxRetriesPerRequest: 1 })
    clients.push(client)
    const store = redisStore({
      client,
      keyPrefix: 'bench-near:',
      ...(settings.channel ? {} : { waitStrategy: 'poll' }),
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
    const oauth = benchOAuth(mock, counted, {
      nearCache: { maxAgeMs: settings.maxAgeMs },
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

  try {
    const a = instance({ channel: true, maxAgeMs: 5_000 })
    const b = instance({ channel: true, maxAgeMs: 5_000 })
    const grants: string[] = []
    for (let i = 0; i < options.sessions; i++) grants.push(await signIn(a.oauth))

    // Hit rate in steady state: B serves requests spread over every session.
    b.reads.count = 0
    for (let i = 0; i < options.requests; i++)
      await b.oauth.getAccessToken(grants[i % grants.length] as string)
    const redisReads = b.reads.count

    // Invalidation with the channel: B holds every session; A signs each out.
    const withChannel: number[] = []
    for (const grantId of grants) {
      await b.oauth.getAccessToken(grantId)
      await a.oauth.logout(grantId)
      withChannel.push(await untilRefused(b.oauth, grantId))
    }

    // Without a channel: the maximum age is the bound.
    const c = instance({ channel: false, maxAgeMs: options.fallbackMaxAgeMs })
    const fallback: number[] = []
    for (let i = 0; i < options.fallbackSamples; i++) {
      const grantId = await signIn(a.oauth)
      await c.oauth.getAccessToken(grantId)
      await a.oauth.logout(grantId)
      fallback.push(await untilRefused(c.oauth, grantId))
    }
    return {
      sessions: options.sessions,
      requests: options.requests,
      redisReads,
      hitRate: 1 - redisReads / options.requests,
      withChannel: figures(withChannel),
      withoutChannel: { ...figures(fallback), maxAgeMs: options.fallbackMaxAgeMs },
    }
  } finally {
    await Promise.all(closers.map((close) => close()))
    for (const client of clients) client.disconnect()
  }
}
