/**
 * The size budget's measurements: every public entry point of every published package, bundled as a user's
 * bundler would bundle everything it exports (the suite's esbuild settings: ESM, browser, minified), with
 * the package's own dependencies inside and its peers left out (the app has them), then gzipped.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { build } from 'esbuild'
import { gzipSize, SUITE_BUILD } from '../bundle/run.ts'

const PACKAGES = join(import.meta.dirname, '../../../packages')

/** Entry points that are for tests, or whole programs rather than libraries: no budget. */
const UNBUDGETED = /\/testing$|^@workfront-oauth\/(cli|workfront-mock)\b/

interface PackageJSON {
  name: string
  private?: boolean
  exports?: Record<string, string | { default?: string; import?: string }>
  peerDependencies?: Record<string, string>
}

export interface EntryPoint {
  /** `@workfront-oauth/core`, `@workfront-oauth/core/adapters`… */
  name: string
  dir: string
  file: string
  external: string[]
}

/** The published entry points that carry a budget, from each package's `exports`. */
export function entryPoints(): EntryPoint[] {
  const found: EntryPoint[] = []
  for (const dir of readdirSync(PACKAGES)) {
    let pkg: PackageJSON
    try {
      pkg = JSON.parse(readFileSync(join(PACKAGES, dir, 'package.json'), 'utf8')) as PackageJSON
    } catch {
      continue
    }
    if (pkg.private) continue
    const peers = Object.keys(pkg.peerDependencies ?? {})
    const external = [
      ...peers.flatMap((peer) => [peer, `${peer}/*`]),
      ...builtinModules.flatMap((m) => [m, `node:${m}`]),
      'cloudflare:*',
    ]
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (subpath.endsWith('.json')) continue
      const name = subpath === '.' ? pkg.name : `${pkg.name}${subpath.slice(1)}`
      if (UNBUDGETED.test(name)) continue
      const file = typeof target === 'string' ? target : (target.import ?? target.default)
      if (file) found.push({ name, dir: join(PACKAGES, dir), file, external })
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name))
}

/** Minified + gzip bytes of everything `entry` exports. */
export async function measure(entry: EntryPoint): Promise<number> {
  const result = await build({
    ...SUITE_BUILD,
    stdin: { contents: `export * from ${JSON.stringify(entry.file)}`, resolveDir: entry.dir },
    external: entry.external,
  })
  const output = result.outputFiles[0]
  if (!output) throw new Error(`esbuild produced nothing for ${entry.name}`)
  return gzipSize(output.contents)
}
