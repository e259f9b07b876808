/**
 * Bundle size: each entry file (`entries/*.ts`, a code + refresh flow written against one library) bundled
 * the same way with esbuild — ESM, platform browser, minified, tree-shaken — then gzipped. Hono is left
 * out of the two Hono middlewares: an app that uses them has it already.
 */
import { gzipSync } from 'node:zlib'
import { type BuildOptions, build } from 'esbuild'

export interface BundleEntry {
  id: string
  label: string
  ours: boolean
  external: string[]
}

export interface BundleSize extends BundleEntry {
  minifiedBytes: number
  gzipBytes: number
}

export const BUNDLE_ENTRIES: readonly BundleEntry[] = [
  { id: 'core', label: '@workfront-oauth/core', ours: true, external: [] },
  {
    id: 'hono-adapter',
    label: '@workfront-oauth/hono-adapter + core',
    ours: true,
    external: ['hono', 'hono/*'],
  },
  { id: 'openid-client', label: 'openid-client', ours: false, external: [] },
  { id: 'oauth4webapi', label: 'oauth4webapi', ours: false, external: [] },
  { id: 'arctic', label: 'arctic', ours: false, external: [] },
  { id: 'oidc-auth', label: '@hono/oidc-auth', ours: false, external: ['hono', 'hono/*'] },
]

/** The suite's esbuild settings, for every size the bench reports: ESM, browser, minified, tree-shaken. */
export const SUITE_BUILD = {
  bundle: true,
  minify: true,
  treeShaking: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  logLevel: 'silent',
  legalComments: 'none',
} as const satisfies BuildOptions

/** Bundles one module the suite's way and returns the minified code. */
export async function bundle(entry: string, external: string[] = []): Promise<Uint8Array> {
  const result = await build({ ...SUITE_BUILD, entryPoints: [entry], external })
  const output = result.outputFiles[0]
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`)
  return output.contents
}

export function gzipSize(code: Uint8Array): number {
  return gzipSync(code, { level: 9 }).byteLength
}

export async function runBundles(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = []
  for (const entry of BUNDLE_ENTRIES) {
    const code = await bundle(new URL(`./entries/${entry.id}.ts`, import.meta.url).pathname, entry.external)
    sizes.push({ ...entry, minifiedBytes: code.byteLength, gzipBytes: gzipSize(code) })
  }
  return sizes
}
