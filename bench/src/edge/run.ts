/**
 * The whole Worker: its size and its start time, for `apps/edge-demo` and for a baseline Worker (Hono +
 * `@hono/oidc-auth`, `baseline-worker/`), both built the same way — `wrangler deploy --dry-run --outdir …`,
 * then the output re-bundled by esbuild (minified, gzipped, as the library entries are) — and both started
 * the same way: workerd through Miniflare, with the bindings of their wrangler configuration, timed from
 * start to the first served response of `GET /`.
 */
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { basename, dirname, extname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare, type MiniflareOptions } from 'miniflare'
import { gzipSize } from '../bundle/run.ts'
import { median, now } from '../lib/stats.ts'
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
  /** HTTP status of the first response (any answer counts as served). */
  status: number
}

export interface WorkerMeasurement {
  id: 'demo' | 'baseline'
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
  baseline: WorkerMeasurement
  /** The demo's session stores in workerd, and the refresh storm on Durable Objects. */
  stores?: EdgeStoresResult
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
  redisBin: string
  log(line: string): void
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url))
const BENCH = fileURLToPath(new URL('../../', import.meta.url))
const DEMO_DIR = join(REPO, 'apps/edge-demo')
const BASELINE_DIR = fileURLToPath(new URL('./baseline-worker/', import.meta.url))
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

async function buildBaseline(tmpDir: string): Promise<BuiltWorker> {
  const configPath = join(BASELINE_DIR, 'wrangler.jsonc')
  const distDir = join(tmpDir, 'baseline-worker-dist')
  await run(
    join(BENCH, 'node_modules/.bin/wrangler'),
    ['deploy', '--dry-run', '--outdir', distDir, '--config', configPath],
    BENCH,
    120_000,
  )
  await rm(join(BASELINE_DIR, '.wrangler'), { recursive: true, force: true })
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
    entryPoints: [worker.mainFile],
    bundle: true,
    minify: true,
    treeShaking: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // What workerd itself provides (Node's modules with `nodejs_compat`, with or without `node:`).
    external: ['cloudflare:*', 'node:*', '__STATIC_CONTENT_MANIFEST', ...builtinModules],
    write: false,
    logLevel: 'silent',
    legalComments: 'none',
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
 * What a deployment of the demo sets besides wrangler.jsonc's vars (secrets with `wrangler secret put`): a
 * real Workfront org, since the deployable Worker has no mock. `GET /` never reaches Workfront.
 */
const DEMO_DEPLOYMENT = {
  WORKFRONT_BASE_URL: 'https://acme.my.workfront.com',
  WORKFRONT_CLIENT_ID: 'bench-client',
  WORKFRONT_CLIENT_SECRET: 'bench-secret',
  SESSION_SECRET: 'bench-session-secret-for-the-local-mock-only-0123456789',
  TOKEN_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
}

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

/** Starts workerd with the Worker and times it until the first response to `GET /` has been read. */
async function startOnce(options: WorkerOptions): Promise<{ ms: number; status: number }> {
  const start = now()
  const mf = new Miniflare(options as unknown as MiniflareOptions)
  try {
    const response = await mf.dispatchFetch('http://127.0.0.1/', { signal: AbortSignal.timeout(30_000) })
    await response.arrayBuffer()
    return { ms: now() - start, status: response.status }
  } finally {
    await mf.dispose()
  }
}

export async function runEdge(options: EdgeOptions): Promise<EdgeResult> {
  const baseline: WorkerMeasurement = {
    id: 'baseline',
    label: 'Hono + @hono/oidc-auth Worker',
    bundle: null,
    start: null,
    bundleError: null,
    startError: null,
  }
  const demo: WorkerMeasurement = {
    id: 'demo',
    label: 'apps/edge-demo Worker',
    bundle: null,
    start: null,
    bundleError: null,
    startError: null,
  }
  const baselineBuilt = await buildBaseline(options.tmpDir)
  baseline.bundle = await measureBundle(baselineBuilt)
  const demoBuilt = options.includeDemo ? await demoWorker(options) : 'left out of this run'
  if (typeof demoBuilt === 'string') {
    demo.bundleError = demoBuilt
    demo.startError = demoBuilt
  } else {
    try {
      demo.bundle = await measureBundle(demoBuilt)
    } catch (error) {
      demo.bundleError = `bundling the demo's output failed: ${(error as Error).message.split('\n')[0]}`
    }
  }

  const subjects: { measurement: WorkerMeasurement; options: WorkerOptions }[] = [
    { measurement: baseline, options: await workerOptions(baselineBuilt) },
  ]
  if (typeof demoBuilt !== 'string') {
    try {
      subjects.push({ measurement: demo, options: await workerOptions(demoBuilt, DEMO_DEPLOYMENT) })
    } catch (error) {
      demo.startError = `reading the demo's wrangler configuration failed: ${(error as Error).message}`
    }
  }
  const samples = new Map<WorkerMeasurement, { ms: number; status: number }[]>()
  // Warm-up: the first workerd start of a process pays for loading the binary from disk.
  const started: typeof subjects = []
  for (const subject of subjects) {
    try {
      await startOnce(subject.options)
      started.push(subject)
    } catch (error) {
      subject.measurement.startError = `starting it in workerd failed: ${(error as Error).message}`
    }
  }
  if (baseline.startError !== null) throw new Error(`baseline Worker: ${baseline.startError}`)
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? started : [...started].reverse()
    for (const subject of order) {
      try {
        const sample = await startOnce(subject.options)
        samples.set(subject.measurement, [...(samples.get(subject.measurement) ?? []), sample])
        options.log(
          `worker start ${subject.measurement.id.padEnd(8)} round ${round + 1}: ${sample.ms.toFixed(0)} ms (HTTP ${sample.status})`,
        )
      } catch (error) {
        subject.measurement.startError = `starting it in workerd failed: ${(error as Error).message}`
      }
    }
  }
  for (const [measurement, list] of samples) {
    if (measurement.startError !== null) continue
    measurement.start = {
      rounds: list.length,
      medianMs: median(list.map((s) => s.ms)),
      samplesMs: list.map((s) => s.ms),
      status: list[0]?.status ?? 0,
    }
  }
  const stores = typeof demoBuilt !== 'string' && options.stores ? await measureStores(options) : undefined
  return { demo, baseline, ...(stores ? { stores } : {}) }
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
