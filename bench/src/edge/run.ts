/**
 * The whole Worker: its size and its start time, for `apps/edge-demo` (the whole application) and for a
 * minimal pair — our Worker (`minimal-worker/`: Hono, the adapter, the Durable Object store, one protected
 * route) and a baseline Worker (`baseline-worker/`: Hono, `@hono/oidc-auth`, one protected route) — all
 * built the same way — `wrangler deploy --dry-run --outdir …`, then the output re-bundled by esbuild
 * (minified, gzipped, as the library entries are) — and started the same way: workerd through Miniflare,
 * with the bindings of their wrangler configuration and the secrets a deployment sets, timed from start to
 * the first response of `GET /`, which must be a 200: a Worker that answers anything else (a refused
 * configuration answers 500) fails the suite rather than be timed.
 *
 * Then the demo's session stores, and logout on isolate A → refused on isolate B for each store.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { basename, dirname, extname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { build } from 'esbuild'
import { Miniflare, type MiniflareOptions } from 'miniflare'
import { gzipSize, SUITE_BUILD } from '../bundle/run.ts'
import { median, now } from '../lib/stats.ts'
import { type LogoutFigures, type LogoutStore, measureLogout } from './logout.ts'
import { type EdgeStoresResult, runEdgeStores } from './stores.ts'

export interface WorkerBundle {
  /** The main module as wrangler wrote it (not minified). */
  wranglerBytes: number
  minifiedBytes: number
  gzipBytes: number
  /** What went in, by package: source bytes from wrangler's source map, largest first. */
  composition: { name: string; share: number }[]
}

export interface WorkerStart {
  rounds: number
  medianMs: number
  samplesMs: number[]
  /** HTTP status of the first response: always the expected 200 (anything else fails the suite). */
  status: number
}

export interface WorkerMeasurement {
  id: 'demo' | 'minimal' | 'baseline'
  label: string
  bundle: WorkerBundle | null
  start: WorkerStart | null
  /** Why its size was not measured. */
  bundleError: string | null
  /** Why its start was not measured. */
  startError: string | null
}

export interface EdgeResult {
  demo: WorkerMeasurement
  /** Ours, minimal: Hono + the adapter + the Durable Object store, one protected route. */
  minimal?: WorkerMeasurement
  /** Hono + `@hono/oidc-auth`, one protected route. */
  baseline: WorkerMeasurement
  /** The demo's session stores in workerd, and the refresh storm on Durable Objects. */
  stores?: EdgeStoresResult
  /** Logout on isolate A → refused on isolate B, per store. */
  logout?: LogoutFigures[]
}

export interface EdgeOptions {
  rounds: number
  /** Measure `apps/edge-demo` too (the smoke run leaves it out: another task may be building it). */
  includeDemo: boolean
  /** Build `apps/edge-demo` first (its `build` script). Without it, an existing `dist/` is used if any. */
  buildDemo: boolean
  tmpDir: string
  /** The store comparison (needs the demo): sequential requests per round, and the storm's size. */
  stores: { rounds: number; requests: number; stormRequests: number } | null
  /** Samples of logout on isolate A → refused on isolate B, per store. */
  logoutSamples: Record<LogoutStore, number>
  redisBin: string
  log(line: string): void
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const BENCH = fileURLToPath(new URL('../../', import.meta.url))
const DEMO_DIR = join(REPO, 'apps/edge-demo')
const WRANGLER_ENV = { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false' }

interface BuiltWorker {
  configPath: string
  distDir: string
  mainFile: string
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd, timeout: timeoutMs, env: { ...process.env, ...WRANGLER_ENV }, maxBuffer: 16 * 2 ** 20 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`))
        else resolve(stdout)
      },
    )
  })
}

function findConfig(dir: string): string | null {
  for (const name of ['wrangler.jsonc', 'wrangler.json', 'wrangler.toml']) {
    if (existsSync(join(dir, name))) return join(dir, name)
  }
  return null
}

/** The module wrangler wrote for the config's `main` (`src/worker.ts` → `worker.js`). */
function mainModule(configPath: string, distDir: string): string | null {
  const text = readFileSync(configPath, 'utf8')
  const main = /["']?main["']?\s*[:=]\s*["']([^"']+)["']/.exec(text)?.[1]
  const candidates = main ? [`${basename(main, extname(main))}.js`] : []
  const top = existsSync(distDir) ? readdirSync(distDir).filter((f) => /\.m?js$/.test(f)) : []
  if (top.length === 1) candidates.push(top[0] as string)
  candidates.push('index.js')
  return candidates.map((name) => join(distDir, name)).find((path) => existsSync(path)) ?? null
}

/** Builds one of the suite's own Workers (`baseline-worker`, `minimal-worker`, `logout-worker`). */
async function buildBenchWorker(name: string, tmpDir: string): Promise<BuiltWorker> {
  const dir = fileURLToPath(new URL(`./${name}/`, import.meta.url))
  const configPath = join(dir, 'wrangler.jsonc')
  const distDir = join(tmpDir, `${name}-dist`)
  await run(
    join(BENCH, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--outdir', distDir, '--config', configPath],
    BENCH,
    120_000,
  )
  await rm(join(dir, '.wrangler'), { recursive: true, force: true })
  return { configPath, distDir, mainFile: join(distDir, 'index.js') }
}

async function demoWorker(options: EdgeOptions): Promise<BuiltWorker | string> {
  const manifest = JSON.parse(readFileSync(join(DEMO_DIR, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>
  }
  const buildScript = manifest.scripts?.build
  if (options.buildDemo) {
    if (!buildScript?.includes('wrangler deploy --dry-run')) {
      return 'apps/edge-demo has no `build` script running `wrangler deploy --dry-run --outdir dist`'
    }
    try {
      await run('pnpm', ['--filter', 'edge-demo', 'run', 'build'], REPO, 300_000)
    } catch (error) {
      return `building apps/edge-demo failed: ${(error as Error).message.split('\n')[0]}`
    }
  }
  const configPath = findConfig(DEMO_DIR)
  if (!configPath) return 'apps/edge-demo has no wrangler configuration'
  const distDir = join(DEMO_DIR, 'dist')
  const mainFile = mainModule(configPath, distDir)
  if (!mainFile) return 'apps/edge-demo/dist/ holds no Worker module (run its build first)'
  return { configPath, distDir, mainFile }
}

/** The Worker's module graph re-bundled and minified by esbuild, as every library entry is. */
async function measureBundle(worker: BuiltWorker): Promise<WorkerBundle> {
  const wranglerBytes = readFileSync(worker.mainFile).byteLength
  const result = await build({
    ...SUITE_BUILD,
    entryPoints: [worker.mainFile],
    // What workerd itself provides (Node's modules with `nodejs_compat`, with or without `node:`).
    external: ['cloudflare:*', 'node:*', '__STATIC_CONTENT_MANIFEST', ...builtinModules],
  })
  const code = result.outputFiles[0]?.contents ?? new Uint8Array()
  return {
    wranglerBytes,
    minifiedBytes: code.byteLength,
    gzipBytes: gzipSize(code),
    composition: composition(`${worker.mainFile}.map`),
  }
}

/** Source bytes per package in a source map (`sourcesContent`), as shares of the total, largest first. */
function composition(mapFile: string): { name: string; share: number }[] {
  if (!existsSync(mapFile)) return []
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources?: string[]; sourcesContent?: string[] }
  const bytes = new Map<string, number>()
  for (const [i, source] of (map.sources ?? []).entries()) {
    const size = map.sourcesContent?.[i]?.length ?? 0
    const dependency = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(
      source,
    )?.[1]
    const workspace = /(?:^|\/)packages\/([^/]+)\//.exec(source)?.[1]
    const name = dependency ?? (workspace ? `@workfront-oauth/${workspace}` : "the Worker's own code")
    bytes.set(name, (bytes.get(name) ?? 0) + size)
  }
  const total = [...bytes.values()].reduce((sum, n) => sum + n, 0)
  if (total === 0) return []
  return [...bytes].sort((a, b) => b[1] - a[1]).map(([name, size]) => ({ name, share: size / total }))
}

type WorkerOptions = Record<string, unknown> & {
  modulesRules?: unknown[]
  bindings?: Record<string, unknown>
}

/**
 * The secrets a deployment sets with `wrangler secret put`: `SESSION_SECRET` and `TOKEN_ENCRYPTION_KEY` as
 * `pnpm secrets` prints them (its script is run), and a client secret as Workfront issues one (random).
 */
async function deploymentSecrets(): Promise<Record<string, string>> {
  const printed = await run(process.execPath, [join(DEMO_DIR, 'scripts/secrets.mjs')], REPO, 30_000)
  const secrets: Record<string, string> = {
    WORKFRONT_CLIENT_SECRET: randomBytes(24).toString('base64url'),
  }
  for (const line of printed.split('\n')) {
    const match = /^([A-Z_]+)=(.+)$/.exec(line.trim())
    if (match) secrets[match[1] as string] = match[2] as string
  }
  if (!secrets.SESSION_SECRET || !secrets.TOKEN_ENCRYPTION_KEY) {
    throw new Error(`pnpm secrets printed no SESSION_SECRET and TOKEN_ENCRYPTION_KEY:\n${printed}`)
  }
  return secrets
}

/**
 * What a deployment of the demo sets besides its secrets: where it is reached and a real Workfront org,
 * since the deployable Worker has no mock. `GET /` never reaches Workfront.
 */
const DEMO_DEPLOYMENT = {
  PUBLIC_URL: 'https://workfront-oauth-edge-demo.acme-corp.workers.dev',
  WORKFRONT_BASE_URL: 'https://acme.my.workfront.com',
  WORKFRONT_CLIENT_ID: '3f1c9a6e0b2d4c8f9e7a5b1d2c3e4f50',
}

/** What `GET /` must answer: the home page (demo) or a plain page (the minimal pair). */
const EXPECTED_STATUS = 200

async function workerOptions(
  worker: BuiltWorker,
  extra: Record<string, string> = {},
): Promise<WorkerOptions> {
  const wrangler = await import('wrangler')
  const { workerOptions: fromConfig } = wrangler.unstable_getMiniflareWorkerOptions(worker.configPath)
  const options = fromConfig as unknown as WorkerOptions
  return {
    ...options,
    modules: true,
    scriptPath: worker.mainFile,
    modulesRoot: dirname(worker.mainFile),
    modulesRules: [{ type: 'ESModule', include: ['**/*.js', '**/*.mjs'] }, ...(options.modulesRules ?? [])],
    bindings: { ...options.bindings, ...extra },
    // The Worker's own console output (the demo prints its configuration) is not the suite's.
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume()
      stderr.resume()
    },
  }
}

/**
 * Starts workerd with the Worker and times it until the first response to `GET /` has been read; throws
 * when that response is not the expected status (with its beginning, which names what went wrong).
 */
async function startOnce(label: string, options: WorkerOptions): Promise<{ ms: number; status: number }> {
  const start = now()
  const mf = new Miniflare(options as unknown as MiniflareOptions)
  try {
    const response = await mf.dispatchFetch('http://127.0.0.1/', { signal: AbortSignal.timeout(30_000) })
    const body = await response.text()
    const ms = now() - start
    if (response.status !== EXPECTED_STATUS) {
      throw new Error(
        `${label}: GET / answered ${response.status}, not ${EXPECTED_STATUS}: ${body.slice(0, 300)}`,
      )
    }
    return { ms, status: response.status }
  } finally {
    await mf.dispose()
  }
}

function measurement(id: WorkerMeasurement['id'], label: string): WorkerMeasurement {
  return { id, label, bundle: null, start: null, bundleError: null, startError: null }
}

export async function runEdge(options: EdgeOptions): Promise<EdgeResult> {
  const baseline = measurement('baseline', 'Hono + @hono/oidc-auth Worker, one protected route')
  const minimal = measurement(
    'minimal',
    'Hono + @workfront-oauth/hono-adapter + Durable Object store Worker, one protected route',
  )
  const demo = measurement('demo', 'apps/edge-demo Worker (the whole application)')
  const secrets = await deploymentSecrets()
  const baselineBuilt = await buildBenchWorker('baseline-worker', options.tmpDir)
  const minimalBuilt = await buildBenchWorker('minimal-worker', options.tmpDir)
  baseline.bundle = await measureBundle(baselineBuilt)
  minimal.bundle = await measureBundle(minimalBuilt)
  const demoBuilt = options.includeDemo ? await demoWorker(options) : 'left out of this run'
  if (typeof demoBuilt === 'string') {
    demo.bundleError = demoBuilt
    demo.startError = demoBuilt
  } else {
    demo.bundle = await measureBundle(demoBuilt)
  }

  const subjects: { measurement: WorkerMeasurement; options: WorkerOptions }[] = [
    { measurement: baseline, options: await workerOptions(baselineBuilt) },
    {
      measurement: minimal,
      options: await workerOptions(minimalBuilt, {
        SESSION_SECRET: secrets.SESSION_SECRET as string,
        WORKFRONT_CLIENT_SECRET: secrets.WORKFRONT_CLIENT_SECRET as string,
      }),
    },
  ]
  if (typeof demoBuilt !== 'string') {
    subjects.push({
      measurement: demo,
      options: await workerOptions(demoBuilt, { ...DEMO_DEPLOYMENT, ...secrets }),
    })
  }
  const samples = new Map<WorkerMeasurement, { ms: number; status: number }[]>()
  // Warm-up: the first workerd start of a process pays for loading the binary from disk.
  for (const subject of subjects) await startOnce(subject.measurement.label, subject.options)
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? subjects : [...subjects].reverse()
    for (const subject of order) {
      const sample = await startOnce(subject.measurement.label, subject.options)
      samples.set(subject.measurement, [...(samples.get(subject.measurement) ?? []), sample])
      options.log(
        `worker start ${subject.measurement.id.padEnd(8)} round ${round + 1}: ${sample.ms.toFixed(0)} ms (HTTP ${sample.status})`,
      )
    }
  }
  for (const [measured, list] of samples) {
    measured.start = {
      rounds: list.length,
      medianMs: median(list.map((s) => s.ms)),
      samplesMs: list.map((s) => s.ms),
      status: list[0]?.status ?? 0,
    }
  }
  const stores = typeof demoBuilt !== 'string' && options.stores ? await measureStores(options) : undefined
  const logout = await measureLogoutFigures(options)
  return { demo, minimal, baseline, ...(stores ? { stores } : {}), logout }
}

/** Builds the logout Worker and measures logout on isolate A → refused on isolate B, per store. */
async function measureLogoutFigures(options: EdgeOptions): Promise<LogoutFigures[]> {
  const built = await buildBenchWorker('logout-worker', options.tmpDir)
  const redis = await startRedisServer({ bin: options.redisBin })
  try {
    return await measureLogout({
      worker: built.mainFile,
      redisURL: redis.url,
      samples: options.logoutSamples,
      log: options.log,
    })
  } finally {
    await redis.stop()
  }
}

/** Builds the demo's `--env dev` Worker (with the mock, to sign in) and compares its stores. */
async function measureStores(options: EdgeOptions): Promise<EdgeStoresResult> {
  const stores = options.stores as NonNullable<EdgeOptions['stores']>
  const outdir = join(options.tmpDir, 'edge-demo-dev')
  try {
    await run(
      join(DEMO_DIR, 'node_modules/.bin/wrangler'),
      ['deploy', '--dry-run', '--env', 'dev', '--outdir', outdir],
      DEMO_DIR,
      120_000,
    )
    return await runEdgeStores({
      demoDir: DEMO_DIR,
      devWorker: join(outdir, 'worker-dev.js'),
      ...stores,
      redisBin: options.redisBin,
      log: options.log,
    })
  } catch (error) {
    return { perRequest: [], storm: null, error: (error as Error).message.split('\n')[0] as string }
  }
}
