/** What the figures were measured on: the machine, the runtime and every package version involved. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, type as osType, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'

export interface Machine {
  cores: number
  cpuModel: string
  memoryGiB: number
  os: string
  node: string
  redis: string | null
  commit: string | null
  versions: Record<string, string>
}

const BENCH_DIR = fileURLToPath(new URL('../../', import.meta.url))

/** Packages whose versions the report states: ours, the baselines, and the tools. */
const PACKAGES = [
  '@workfront-oauth/core',
  '@workfront-oauth/hono-adapter',
  '@workfront-oauth/redis-store',
  '@workfront-oauth/workfront-mock',
  'openid-client',
  'oauth4webapi',
  'arctic',
  '@hono/oidc-auth',
  'hono',
  '@hono/node-server',
  'ioredis',
  'autocannon',
  'esbuild',
  'miniflare',
  'wrangler',
] as const

export function packageVersion(name: string): string {
  const manifest = JSON.parse(readFileSync(`${BENCH_DIR}node_modules/${name}/package.json`, 'utf8')) as {
    version: string
  }
  return manifest.version
}

function tryRun(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    })
  } catch {
    return null
  }
}

export function describeMachine(redisBin: string): Machine {
  const list = cpus()
  const versions: Record<string, string> = {}
  for (const name of PACKAGES) versions[name] = packageVersion(name)
  const redis = tryRun(redisBin, ['--version'])
  const commit = tryRun('git', ['-C', BENCH_DIR, 'rev-parse', '--short', 'HEAD'])?.trim() ?? null
  const dirty = (tryRun('git', ['-C', BENCH_DIR, 'status', '--porcelain']) ?? '').trim() !== ''
  return {
    cores: list.length,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${osType()} ${release()}`,
    node: process.version,
    redis: /v=([\d.]+)/.exec(redis ?? '')?.[1] ?? null,
    commit: commit === null ? null : `${commit}${dirty ? ' (with uncommitted changes)' : ''}`,
    versions,
  }
}
