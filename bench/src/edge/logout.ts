/**
 * Logout on isolate A → refused on isolate B, in workerd: two Workers (two isolates) built from
 * `logout-worker/`, on one Durable Object namespace or one Redis. For each sample a user signs in on A, B
 * reads the grant (and, with a near cache, keeps it), A signs the user out; the figure is the time from A's
 * logout answered until B refuses the grant, B asked again and again (each request its own context).
 *
 * Figures only: nothing here asserts a time.
 */
import { dirname } from 'node:path'
import type { Readable } from 'node:stream'
import { Miniflare, type MiniflareOptions } from 'miniflare'
import { now, quantile } from '../lib/stats.ts'

export type LogoutStore = 'durable-object' | 'durable-object-no-changes' | 'redis'

export interface LogoutFigures {
  store: LogoutStore
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Samples in which B refused the grant at its first request after the logout. */
  refusedAtFirstRequest: number
}

export interface LogoutOptions {
  /** The built `logout-worker` module. */
  worker: string
  redisURL: string
  /** Samples per store; each sample without changes lasts about the near cache's maximum age (5 s). */
  samples: Record<LogoutStore, number>
  log(line: string): void
}

/** B is asked at most this often before the sample is given up (a hang guard, far beyond any figure). */
const MAX_POLLS = 100_000

async function measureStore(options: LogoutOptions, store: LogoutStore): Promise<LogoutFigures> {
  const worker = (name: string, durableObject: Record<string, unknown>) => ({
    name,
    modules: true,
    scriptPath: options.worker,
    modulesRoot: dirname(options.worker),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }],
    compatibilityDate: '2026-04-01',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: { WORKFRONT_OAUTH_STORE: { className: 'WorkfrontOAuthStore', ...durableObject } },
    bindings: { STORE: store, REDIS_URL: options.redisURL },
  })
  const mf = new Miniflare({
    workers: [worker('a', { useSQLite: true }), worker('b', { scriptName: 'a', useSQLite: true })],
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume()
      stderr.resume()
    },
  } as unknown as MiniflareOptions)
  try {
    const a = await mf.getWorker('a')
    const b = await mf.getWorker('b')
    const call = async (
      target: typeof a,
      path: string,
      method = 'GET',
    ): Promise<{ status: number; body: Record<string, unknown> }> => {
      const response = await target.fetch(`http://bench.test${path}`, { method })
      return { status: response.status, body: (await response.json()) as Record<string, unknown> }
    }
    /** Signs a user in on A and has both isolates read the grant; returns it, URL-encoded. */
    const signedIn = async (): Promise<string> => {
      const { body } = await call(a, '/signin', 'POST')
      const grant = encodeURIComponent(String(body.grantId))
      for (const target of [a, b]) {
        const read = await call(target, `/token?grant=${grant}`)
        if (read.status !== 200) throw new Error(`${store}: the new grant was refused (${read.status})`)
      }
      return grant
    }
    /** Milliseconds until B refused the signed-out grant, and how many requests B got until then. */
    const sample = async (): Promise<{ ms: number; requests: number }> => {
      const grant = await signedIn()
      await call(a, `/logout?grant=${grant}`, 'POST')
      const start = now()
      for (let i = 1; i <= MAX_POLLS; i++) {
        if ((await call(b, `/token?grant=${grant}`)).status === 401) return { ms: now() - start, requests: i }
      }
      throw new Error(`${store}: B still served the grant after ${MAX_POLLS} requests`)
    }
    // Warm-up: the first requests of each isolate, which open their sockets to the relay of changes.
    await signedIn()
    const taken: { ms: number; requests: number }[] = []
    for (let i = 0; i < options.samples[store]; i++) taken.push(await sample())
    const samples = taken.map((t) => t.ms)
    const figures = {
      store,
      samples: samples.length,
      p50Ms: quantile(samples, 0.5),
      p99Ms: quantile(samples, 0.99),
      maxMs: Math.max(...samples),
      refusedAtFirstRequest: taken.filter((t) => t.requests === 1).length,
    }
    options.log(
      `logout on A → refused on B, ${store.padEnd(25)}: p50 ${figures.p50Ms.toFixed(2)} ms, p99 ${figures.p99Ms.toFixed(2)} ms, at B's first request in ${figures.refusedAtFirstRequest} of ${samples.length}`,
    )
    return figures
  } finally {
    await mf.dispose()
  }
}

export async function measureLogout(options: LogoutOptions): Promise<LogoutFigures[]> {
  const figures: LogoutFigures[] = []
  for (const store of ['durable-object', 'durable-object-no-changes', 'redis'] as const) {
    figures.push(await measureStore(options, store))
  }
  return figures
}
