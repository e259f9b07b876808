/**
 * @module `pnpm bench`: runs the suites (refresh storm, per-request overhead, login throughput, bundle size,
 * the whole Worker, the instrumentation's cost), writes `results/<suite>.json`, then `BENCHMARKS.md` and the ratio chart from them.
 *
 * ```sh
 * tsx src/main.ts                          # everything, into the repository (BENCHMARKS.md, docs/, bench/results/)
 * tsx src/main.ts --only storm,bundle      # some suites; the report is redrawn from every results file
 * tsx src/main.ts --smoke [--out DIR]      # tiny sizes, into DIR (default: a new temporary directory)
 * tsx src/main.ts --report                 # no measurement: redraw the report and the chart from the results
 * ```
 *
 * It starts everything it needs on loopback — redis-server on a free port, the Workfront mock, app
 * instances, workerd — and stops it all again, also on failure, on Ctrl-C and when the time limit passes.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type RedisServer, startRedisServer } from '@workfront-oauth/redis-store/testing'
import { Redis } from 'ioredis'
import { runBundles } from './bundle/run.ts'
import { runEdge } from './edge/run.ts'
import { type Child, forkChild } from './lib/ipc.ts'
import { describeMachine, type Machine } from './lib/machine.ts'
import { mockAdmin } from './lib/mock-admin.ts'
import { runLogin } from './login/run.ts'
import { runOverhead } from './overhead/run.ts'
import { renderChart } from './report/chart.ts'
import { renderMarkdown } from './report/markdown.ts'
import { ratioRows } from './report/ratios.ts'
import { type Mode, type Recorded, readResults, SUITES, type Suite, writeRecorded } from './report/results.ts'
import { runStorm } from './storm/run.ts'
import { runTelemetry } from './telemetry/run.ts'

const REPO = fileURLToPath(new URL('../../', import.meta.url))
const BENCH = fileURLToPath(new URL('../', import.meta.url))

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    report: { type: 'boolean', default: false },
  },
})
const mode: Mode = values.smoke ? 'smoke' : 'full'
const only = values.report ? [] : values.only ? values.only.split(',').map((s) => s.trim()) : [...SUITES]
for (const name of only) {
  if (!(SUITES as readonly string[]).includes(name)) {
    console.error(`unknown suite ${name}; the suites are ${SUITES.join(', ')}`)
    process.exit(2)
  }
}
const selected = SUITES.filter((s) => only.includes(s))

/** Everything the whole suite may take before it stops itself (and everything it started). */
const TIME_LIMIT_MS = mode === 'smoke' ? 9 * 60_000 : 14 * 60_000

const SIZES = {
  full: {
    storm: { ns: [100, 1_000, 10_000], ps: [1, 2, 4], repeats: (n: number) => (n >= 10_000 ? 3 : 5) },
    overhead: {
      rounds: 9,
      durationSeconds: 3,
      warmupSeconds: 1,
      connections: 16,
      nearCache: { sessions: 200, requests: 20_000, fallbackSamples: 20, fallbackMaxAgeMs: 500 },
    },
    login: { rounds: 5, count: 2_000, concurrency: 8 },
    edge: {
      rounds: 5,
      includeDemo: true,
      buildDemo: true,
      stores: { rounds: 5, requests: 200, stormRequests: 1_000 },
      logoutSamples: { 'durable-object': 50, 'durable-object-no-changes': 5, redis: 50 },
    },
    telemetry: {
      rounds: 11,
      ops: { 'access-token': 200_000, 'api-call': 8_000 },
      concurrency: { 'access-token': 1, 'api-call': 8 },
    },
  },
  smoke: {
    storm: { ns: [20], ps: [1, 2], repeats: () => 1 },
    overhead: {
      rounds: 1,
      durationSeconds: 0.5,
      warmupSeconds: 0.2,
      connections: 4,
      nearCache: { sessions: 5, requests: 100, fallbackSamples: 2, fallbackMaxAgeMs: 100 },
    },
    login: { rounds: 1, count: 20, concurrency: 4 },
    edge: {
      rounds: 1,
      includeDemo: false,
      buildDemo: false,
      stores: null,
      logoutSamples: { 'durable-object': 2, 'durable-object-no-changes': 1, redis: 2 },
    },
    telemetry: {
      rounds: 1,
      ops: { 'access-token': 500, 'api-call': 20 },
      concurrency: { 'access-token': 1, 'api-call': 4 },
    },
  },
}[mode]

const started = Date.now()
const log = (line: string): void => {
  const elapsed = ((Date.now() - started) / 1000).toFixed(0).padStart(4)
  console.log(`[${elapsed} s] ${line}`)
}

const outDir = values.out ?? (mode === 'smoke' ? await mkdtemp(join(tmpdir(), 'wfo-bench-smoke-')) : null)
const paths = outDir
  ? {
      results: join(outDir, 'results'),
      markdown: join(outDir, 'BENCHMARKS.md'),
      chart: join(outDir, 'bench-ratios.svg'),
    }
  : {
      results: join(BENCH, 'results'),
      markdown: join(REPO, 'BENCHMARKS.md'),
      chart: join(REPO, 'docs/bench-ratios.svg'),
    }

// Ctrl-C, a kill or the time limit: exit, and the exit hooks of the child processes and of the Redis
// helper kill whatever is still running.
process.once('SIGINT', () => process.exit(130))
process.once('SIGTERM', () => process.exit(143))
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${TIME_LIMIT_MS / 1000} s; stopping everything`)
  process.exit(1)
}, TIME_LIMIT_MS)
watchdog.unref()

const redisBin = process.env.REDIS_SERVER_BIN ?? 'redis-server'
const machine: Machine = describeMachine(redisBin)
log(
  selected.length === 0
    ? `redrawing the report from ${paths.results}`
    : `${mode} run of ${selected.join(', ')} on ${machine.cores} cores, Node ${machine.node}; output: ${outDir ?? REPO}`,
)

async function record<T>(suite: Suite, run: () => Promise<T>): Promise<void> {
  const begin = Date.now()
  log(`${suite}: start`)
  const result = await run()
  const recorded: Recorded<T> = {
    suite,
    mode,
    measuredAt: new Date().toISOString(),
    durationSeconds: (Date.now() - begin) / 1000,
    machine,
    result,
  }
  const path = await writeRecorded(paths.results, suite, recorded)
  log(`${suite}: done in ${recorded.durationSeconds.toFixed(0)} s → ${path}`)
}

let redisServer: RedisServer | undefined
let redis: Redis | undefined
let mock: Child<{ type: 'ready'; port: number }> | undefined
let edgeTmp: string | undefined
try {
  const needsRedis = selected.some((s) => s === 'storm' || s === 'overhead')
  if (needsRedis) {
    redisServer = await startRedisServer({ bin: redisBin })
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 })
    log(`redis-server ${machine.redis ?? ''} on ${redisServer.url}`)
  }
  if (selected.includes('storm')) {
    const server = redisServer as RedisServer
    const client = redis as Redis
    mock = await forkChild(new URL('./lib/mock-server.ts', import.meta.url))
    const admin = mockAdmin(`http://127.0.0.1:${mock.info.port}`)
    await record('storm', () =>
      runStorm(
        { redis: client, redisURL: server.url, admin },
        {
          ...SIZES.storm,
          repeats: (n) => SIZES.storm.repeats(n),
          tokenLatencyMs: 50,
          maxSockets: 64,
          stormTimeoutMs: 120_000,
          log,
        },
      ),
    )
    await mock.stop()
    mock = undefined
  }
  if (selected.includes('overhead')) {
    const server = redisServer as RedisServer
    await record('overhead', () =>
      runOverhead({ redis: redis as Redis, redisURL: server.url }, { ...SIZES.overhead, log }),
    )
  }
  redis?.disconnect()
  redis = undefined
  await redisServer?.stop()
  redisServer = undefined
  if (selected.includes('login')) await record('login', () => runLogin({ ...SIZES.login, log }))
  if (selected.includes('bundle')) await record('bundle', () => runBundles())
  if (selected.includes('edge')) {
    const dir = await mkdtemp(join(tmpdir(), 'wfo-bench-edge-'))
    edgeTmp = dir
    await record('edge', () => runEdge({ ...SIZES.edge, tmpDir: dir, redisBin, log }))
  }
  if (selected.includes('telemetry'))
    await record('telemetry', () => runTelemetry({ ...SIZES.telemetry, log }))
} finally {
  await mock?.stop()
  redis?.disconnect()
  await redisServer?.stop()
  if (edgeTmp) await rm(edgeTmp, { recursive: true, force: true })
}

const totalSeconds = (Date.now() - started) / 1000
if (selected.length === SUITES.length) {
  await writeRecorded(paths.results, 'run', {
    suite: 'run',
    mode,
    measuredAt: new Date().toISOString(),
    durationSeconds: totalSeconds,
    machine,
    result: { suites: selected, totalSeconds },
  })
}

const results = readResults(paths.results)
const chartLink = outDir ? 'bench-ratios.svg' : relative(REPO, paths.chart)
await mkdir(join(paths.chart, '..'), { recursive: true })
await writeFile(paths.markdown, renderMarkdown(results, chartLink))
await writeFile(
  paths.chart,
  renderChart(
    ratioRows(results),
    `${machine.cores} cores, Node ${machine.node}${results.run ? `, ${results.run.measuredAt.slice(0, 10)}` : ''} — figures, N, P and runs in BENCHMARKS.md`,
  ),
)
if (!outDir) await formatOutputs([paths.results, paths.markdown])
log(`wrote ${paths.markdown} and ${paths.chart}; total ${totalSeconds.toFixed(0)} s`)

/** The results and the report are committed: give them the repository's formatting, as `biome ci` expects. */
async function formatOutputs(targets: string[]): Promise<void> {
  const biome = join(REPO, 'node_modules/.bin/biome')
  if (!existsSync(biome)) return
  await new Promise<void>((resolve) => {
    execFile(biome, ['format', '--write', ...targets], { cwd: REPO, timeout: 60_000 }, (error) => {
      if (error) console.error(`biome format: ${error.message}`)
      resolve()
    })
  })
}
