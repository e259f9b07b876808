/**
 * The guides' install steps, run as written against a local registry. The published packages are packed as
 * the guides say (`pnpm -r --filter './packages/*' pack`) and published to a verdaccio on loopback, with every
 * third-party package the steps install (packed from this workspace's own installed copies, `mirror.ts`).
 * Then each guide's `sh` blocks that install (`guides.ts`) run in a clean directory with npm's registry set
 * to that verdaccio through npm's own configuration (`npm_config_registry`), a fresh npm cache, and a proxy
 * that goes nowhere for anything but loopback: a step that reached another registry would fail. The packages
 * the steps name must then import (Workers-only ones resolve: Node cannot load `cloudflare:` modules).
 *
 * No time limit: only the hang guard (the release checks' vitest config) bounds it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { GUIDES, installSteps, packagesNamed } from './guides.ts'
import { dependencyClosure, packDirectories, publishTarball, tarballsIn } from './mirror.ts'
import { type LocalRegistry, startRegistry } from './registry.ts'
import { publishedPackages, root } from './workspace.ts'
import { cleanEnv, remove, run, temporaryDirectory } from './workspace-copy.ts'

const OWN = /^@workfront-oauth\//
/** What every package of ours depends on. */
const CORE = '@workfront-oauth/core'
/** Never fires in a correct run; it only ends children left hanging (as the vitest hang guard would). */
const signal = new AbortController().signal
const cleanups: (() => Promise<void> | void)[] = []
let registry: LocalRegistry

const steps = GUIDES.map((guide) => ({
  guide,
  blocks: installSteps(readFileSync(join(root, guide), 'utf8')),
}))
const named = [
  ...new Set(steps.flatMap(({ blocks }) => blocks.flatMap((b) => b.lines.flatMap(packagesNamed)))),
]

beforeAll(async () => {
  const work = temporaryDirectory('guides-registry')
  cleanups.push(() => remove(work))
  mkdirSync(join(work, 'registry'))
  registry = await startRegistry(join(work, 'registry'), { everything: true })
  cleanups.push(() => registry.close())
  // Ours, packed as the guides' note says (turbo builds them before this test: `dependsOn: ^build`; pack
  // refuses a package without its build).
  const own = join(work, 'own')
  mkdirSync(own)
  await run('pnpm', ['-r', '--filter', './packages/*', 'pack', '--pack-destination', own], {
    cwd: root,
    env: cleanEnv(),
    signal,
  })
  // Theirs: what the steps name, what the packages of ours they name depend on, and everything those need.
  const ownNamed = publishedPackages().filter(({ json }) => named.includes(json.name) || json.name === CORE)
  const thirdParty = [
    ...named,
    ...ownNamed.flatMap(({ json }) => {
      const { dependencies, peerDependencies } = json as Record<string, Record<string, string> | undefined>
      return Object.keys({ ...dependencies, ...peerDependencies })
    }),
  ].filter((name, index, all) => !OWN.test(name) && all.indexOf(name) === index)
  const theirs = join(work, 'theirs')
  mkdirSync(theirs)
  const packed = [
    ...tarballsIn(own),
    ...(await packDirectories(dependencyClosure(thirdParty), theirs, signal)),
  ]
  for (const tarball of packed) await publishTarball(registry, tarball, signal)
  console.log(`guides: ${packed.length} packages in the local registry`)
})

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe("the guides' install steps, as written, against the local registry", () => {
  it('finds install steps in every guide', () => {
    for (const { guide, blocks } of steps) expect(blocks.length, guide).toBeGreaterThan(0)
    expect(named).toEqual(expect.arrayContaining(['@workfront-oauth/core', '@workfront-oauth/cli']))
  })

  it.each(steps)('$guide', async ({ guide, blocks }) => {
    const sandbox = temporaryDirectory('guide')
    cleanups.push(() => remove(sandbox))
    const prefix = join(sandbox, 'global')
    const userconfig = join(sandbox, 'npmrc')
    writeFileSync(userconfig, '')
    const env = cleanEnv({
      HOME: sandbox,
      PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
      // npm's own configuration, so that the commands stay as written.
      npm_config_registry: registry.url,
      npm_config_userconfig: userconfig,
      npm_config_cache: join(sandbox, 'npm-cache'),
      npm_config_prefix: prefix,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      // Loopback only: anything else goes to a proxy that is not there.
      npm_config_proxy: 'http://127.0.0.1:9',
      npm_config_https_proxy: 'http://127.0.0.1:9',
      npm_config_noproxy: '127.0.0.1,localhost',
    })
    // One shell per guide, its blocks in page order: a `cd` in one holds for the next, as in a terminal.
    const script = ['set -eu', ...blocks.flatMap((block) => block.lines), 'pwd'].join('\n')
    const out = await run('bash', ['-c', script], { cwd: sandbox, env, signal })
    const project = out.trim().split('\n').at(-1) as string
    const names = blocks.flatMap((block) => block.lines.flatMap(packagesNamed))
    const global = blocks.some((block) => block.lines.some((line) => / (--global|-g)\b/.test(line)))
    const modules = global ? join(prefix, 'lib/node_modules') : join(project, 'node_modules')
    for (const name of names) {
      const manifest = JSON.parse(readFileSync(join(modules, name, 'package.json'), 'utf8')) as {
        version: string
        types?: string
        exports?: unknown
        main?: string
      }
      expect(manifest.version, name).toMatch(/^\d+\.\d+\.\d+/)
      if (!OWN.test(name)) continue
      // Our packages load (Workers-only ones resolve: Node cannot load `cloudflare:` modules).
      const probe = `const m = await import(${JSON.stringify(name)}); console.log(Object.keys(m).length)`
      const loaded = await run(process.execPath, ['--input-type=module', '-e', probe], {
        cwd: global ? join(prefix, 'lib') : project,
        env,
        signal,
      }).catch((error: Error) => {
        if (/cloudflare:/.test(error.message)) return 'workers'
        throw error
      })
      expect(loaded.trim(), `${guide}: import ${name}`).toMatch(/^([1-9]\d*|workers)$/)
    }
    if (global) {
      expect(await run('workfront', ['--help'], { cwd: sandbox, env, signal }), guide).toContain(
        'Sign in to a Workfront org',
      )
    }
  })
})
