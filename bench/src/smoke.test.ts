/**
 * The suite's CI test: a smoke run of every benchmark (minimal sizes) into a temporary directory. It asserts
 * that each one produces its figures and that the refresh storm shows what it exists to show — one refresh
 * for our library, several for the baseline — and never asserts a timing.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Results, readResults } from './report/results.ts'

const BENCH = fileURLToPath(new URL('../', import.meta.url))
const COMMITTED = fileURLToPath(new URL('../../BENCHMARKS.md', import.meta.url))

let dir: string
let results: Results
let committedBefore: { mtimeMs: number; text: string } | null

function snapshot(path: string): { mtimeMs: number; text: string } | null {
  return existsSync(path) ? { mtimeMs: statSync(path).mtimeMs, text: readFileSync(path, 'utf8') } : null
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wfo-bench-test-'))
  committedBefore = snapshot(COMMITTED)
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--smoke', '--out', dir], {
      cwd: BENCH,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let text = ''
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString()
    })
    // Killed a little before the suite's hang guard ends the test, so that its output is shown.
    const timer = setTimeout(() => child.kill('SIGTERM'), HANG_GUARD.testTimeout - 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      if (code === 0) resolve(text)
      else reject(new Error(`the smoke run exited with ${code}:\n${text}`))
    })
  })
  expect(output).toContain('wrote')
  results = readResults(join(dir, 'results'))
})

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('pnpm bench:smoke', () => {
  it('writes the report and the chart into its own directory, not over the committed ones', () => {
    expect(readFileSync(join(dir, 'BENCHMARKS.md'), 'utf8')).toContain('## 1. Refresh storm')
    expect(readFileSync(join(dir, 'bench-ratios.svg'), 'utf8')).toMatch(/^<svg [^>]*>/)
    expect(snapshot(COMMITTED)).toEqual(committedBefore)
  })

  it('refresh storm: one token-endpoint call for our library, one per request for the baseline', () => {
    const cells = results.storm?.result.cells ?? []
    expect(cells.length).toBeGreaterThan(0)
    for (const cell of cells) {
      if (cell.impl === 'library') {
        expect(cell.tokenCalls).toBe(1)
        expect(cell.failed).toBe(0)
        expect(cell.refreshReuses).toBe(0)
      } else {
        expect(cell.tokenCalls).toBeGreaterThan(1)
        expect(cell.refreshReuses).toBeGreaterThan(0)
      }
      expect(cell.redisCommands).toBeGreaterThan(0)
    }
    expect(new Set(cells.map((c) => c.p)).size).toBeGreaterThan(1)
  })

  it('per-request overhead: figures for every variant, Redis commands counted', () => {
    const variants = results.overhead?.result.variants ?? []
    expect(variants.map((v) => v.variant)).toEqual([
      'bare',
      'redis-get',
      'oidc-auth',
      'adapter-memory',
      'adapter-redis',
      'express-bare',
      'express-session-redis',
      'express-bridge-memory',
      'express-bridge-redis',
    ])
    for (const v of variants) {
      expect(v.requestsPerSecond).toBeGreaterThan(0)
      expect(v.cpuMicrosPerRequest).toBeGreaterThan(0)
    }
    expect(variants.find((v) => v.variant === 'adapter-redis')?.redisCommandsPerRequest).toBeGreaterThan(0)
    // express-session reads its session from Redis on every request.
    expect(
      variants.find((v) => v.variant === 'express-session-redis')?.redisCommandsPerRequest,
    ).toBeGreaterThan(0)
  })

  it('instrumentation overhead: each workload with no instrumentation, the API no-ops and the SDK', () => {
    const telemetry = results.telemetry?.result
    expect(telemetry?.rows.map((row) => `${row.workload} ${row.mode}`)).toEqual([
      'access-token off',
      'access-token noop',
      'access-token sdk',
      'api-call off',
      'api-call noop',
      'api-call sdk',
    ])
    for (const row of telemetry?.rows ?? []) expect(row.nsPerOp).toBeGreaterThan(0)
    // The SDK rows really recorded: the API calls' spans reached the exporter.
    expect(telemetry?.spansExported).toBeGreaterThan(0)
    expect(readFileSync(join(dir, 'BENCHMARKS.md'), 'utf8')).toContain('## 6. Instrumentation overhead')
  })

  it('login throughput: both sides complete logins', () => {
    expect(results.login?.result.adapter.perSecond).toBeGreaterThan(0)
    expect(results.login?.result.bare.perSecond).toBeGreaterThan(0)
  })

  it('bundle size: every entry bundles', () => {
    const sizes = results.bundle?.result ?? []
    expect(sizes).toHaveLength(6)
    for (const size of sizes) expect(size.gzipBytes).toBeGreaterThan(0)
  })

  it('Workers: the minimal pair builds and answers its first request with a 200 in workerd', () => {
    for (const worker of [results.edge?.result.baseline, results.edge?.result.minimal]) {
      expect(worker?.bundle?.gzipBytes).toBeGreaterThan(0)
      expect(worker?.start?.status).toBe(200)
    }
  })

  it('Workers: logout on isolate A → refused on isolate B, for each store', () => {
    const logout = results.edge?.result.logout ?? []
    expect(logout.map((f) => f.store)).toEqual(['durable-object', 'durable-object-no-changes', 'redis'])
    for (const figures of logout) {
      expect(figures.samples).toBeGreaterThan(0)
      expect(figures.p50Ms).toBeGreaterThan(0)
    }
  })
})
