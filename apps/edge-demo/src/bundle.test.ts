/**
 * What each Worker build contains, read from wrangler's own output (`wrangler deploy --dry-run`, offline):
 * the deployable Worker has the Durable Object store and neither ioredis, the Workfront mock nor the
 * OpenTelemetry SDK; the Redis build adds ioredis and the SDK, still without the mock.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { OFFLINE_ENV, PACKAGE_DIR, wranglerBin } from './dev/wrangler-dev.ts'

const dirs: string[] = []
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))))

/** The packages whose sources went into a build, from its source map. */
async function packagesOf(environment: string): Promise<{ packages: Set<string>; code: string }> {
  const outdir = await mkdtemp(join(tmpdir(), 'edge-demo-bundle-'))
  dirs.push(outdir)
  await promisify(execFile)(
    process.execPath,
    [wranglerBin(), 'deploy', '--dry-run', `--env=${environment}`, '--outdir', outdir],
    { cwd: PACKAGE_DIR, env: { ...process.env, ...OFFLINE_ENV } },
  )
  const main = environment === '' ? 'worker' : `worker-${environment}`
  const map = JSON.parse(await readFile(join(outdir, `${main}.js.map`), 'utf8')) as { sources: string[] }
  const packages = new Set(
    map.sources.flatMap((source) => {
      const match = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(source)
      const workspace = /(?:^|\/)packages\/([^/]+)\//.exec(source)
      return match ? [match[1] as string] : workspace ? [`@workfront-oauth/${workspace[1]}`] : []
    }),
  )
  return { packages, code: await readFile(join(outdir, `${main}.js`), 'utf8') }
}

describe('Worker builds', () => {
  it('the deployable Worker: the Durable Object store, no ioredis, no Workfront mock, no OpenTelemetry SDK', async () => {
    const { packages, code } = await packagesOf('')
    expect(packages).toContain('@workfront-oauth/cloudflare-store')
    expect(packages).toContain('@workfront-oauth/core')
    expect(packages).toContain('hono')
    for (const absent of [
      'ioredis',
      '@ioredis/commands',
      '@workfront-oauth/redis-store',
      '@workfront-oauth/workfront-mock',
      '@opentelemetry/sdk-trace-base',
      '@opentelemetry/sdk-metrics',
      '@workfront-oauth/opentelemetry',
    ]) {
      expect(packages, absent).not.toContain(absent)
    }
    // The class that wrangler.jsonc binds is exported by the module.
    expect(code).toMatch(/export\s*\{[^}]*\bWorkfrontOAuthStore\b/)
  })

  it('--env redis: ioredis, the Redis store and the OpenTelemetry SDK, still no Workfront mock', async () => {
    const { packages } = await packagesOf('redis')
    expect(packages).toContain('ioredis')
    expect(packages).toContain('@workfront-oauth/redis-store')
    expect(packages).toContain('@opentelemetry/sdk-trace-base')
    expect(packages).not.toContain('@workfront-oauth/workfront-mock')
  })
})
