/**
 * The publish rehearsal: what a release does, for real, on loopback.
 *
 * In a temporary copy of the workspace, the pending changesets are turned into versions
 * (`pnpm version-packages`), and the project's own release command (`pnpm release`: build, then
 * `changeset publish`) publishes every package to a local verdaccio. npm projects outside the workspace
 * (`fixtures/node-app`, `fixtures/worker`) then install them with `npm ci`, as users will, and use them: a
 * Node ESM app compiled with `nodenext` and with `bundler` + esbuild that signs in against the mock (run as
 * `npx workfront-mock`), calls the API, survives a forced refresh and logs out; the same through `require()`;
 * the `workfront` bin; and a Worker built with `wrangler deploy --dry-run`. Everything it starts is stopped
 * and every directory removed.
 *
 * Hermetic: every third-party package comes from the projects' committed lockfiles (see
 * `consumer-project.ts`), so the answer does not change with what the registry serves today.
 * `REHEARSAL_RESOLVE=latest` (`pnpm test:latest`) resolves every range afresh instead and prints how that
 * differs from the locks; `REHEARSAL_UPDATE_LOCKS=1` (`pnpm rehearsal:lock`) also writes the new locks back.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import {
  appendFileSync,
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { freePort } from '@workfront-oauth/test-kit/node'
import { build } from 'esbuild'
import { satisfies } from 'semver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  describeDrift,
  forCommit,
  type Lockfile,
  lockDrift,
  OWN_SCOPE,
  offLock,
  pinOwnPackages,
  pinRanges,
  type RegistryManifest,
} from './consumer-project.ts'
import { type LocalRegistry, startRegistry } from './registry.ts'
import { type PackageJSON, publishedPackages, readJSON, root } from './workspace.ts'
import { cleanEnv, copyWorkspace, remove, run, temporaryDirectory } from './workspace-copy.ts'

/**
 * A hang guard, not a time limit: about 2 minutes on an idle machine, many times that with every core busy.
 * It only ends children that hang, long after a slow but correct run would have finished.
 */
const HANG_GUARD_MS = 45 * 60_000
const updateLocks = process.env.REHEARSAL_UPDATE_LOCKS === '1'
/** `locked`: third-party packages from the committed lockfiles; `latest`: every range resolved afresh. */
const resolution = updateLocks || process.env.REHEARSAL_RESOLVE === 'latest' ? 'latest' : 'locked'
const require = createRequire(import.meta.url)
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const wrangler = join(require.resolve('wrangler/package.json'), '../bin/wrangler.js')
const fixtures = new URL('../fixtures/', import.meta.url)
const packages = publishedPackages()
const names = packages.map((p) => p.json.name)

/** A package whose build imports `cloudflare:` modules runs on Workers only: it is used in the Worker. */
function workersOnly(directory: string): boolean {
  const dist = join(root, directory, 'dist')
  return readdirSync(dist, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.js'))
    .some((file) => /from\s*["']cloudflare:/.test(readFileSync(join(dist, file), 'utf8')))
}
const forWorkers = packages.filter((p) => workersOnly(p.directory)).map((p) => p.json.name)
const forNode = names.filter((name) => !forWorkers.includes(name))

/** Every entry point of the given packages (`name` and `name/subpath`), from their `exports`. */
function entryPoints(of: readonly string[]): string[] {
  return packages
    .filter(({ json }) => of.includes(json.name))
    .flatMap(({ json }) =>
      Object.keys(json.exports as Record<string, unknown>)
        .filter((subpath) => subpath !== './package.json')
        .map((subpath) => json.name + subpath.slice(1)),
    )
}

/**
 * The TypeScript files the READMEs of the given packages show (`<!-- file: examples/….ts -->` above a
 * block), pasted into `project/readme/<package directory>/`, as a user would paste them.
 */
function pasteReadmeExamples(project: string, of: readonly string[]): string[] {
  const pasted: string[] = []
  for (const { directory } of packages.filter((p) => of.includes(p.json.name))) {
    const readme = readFileSync(join(root, directory, 'README.md'), 'utf8')
    const files = new Set(
      [...readme.matchAll(/<!-- file: (examples\/[^\s#]+\.ts)(#[\w-]+)? -->/g)].map((m) => m[1] as string),
    )
    for (const file of files) {
      const target = join('readme', directory.replace('packages/', ''), file.replace('examples/', ''))
      cpSync(join(root, directory, file), join(project, target))
      pasted.push(target)
    }
  }
  return pasted
}

/** A module that re-exports every entry point, so that the compiler resolves and checks each of them. */
function importEverything(project: string, entries: readonly string[]): void {
  const lines = entries.map((entry, i) => `export * as entry${i} from '${entry}'\n`)
  writeFileSync(join(project, 'imports.ts'), lines.join(''))
}

interface Changeset {
  file: string
  bumps: Record<string, string>
  summary: string
}

function pendingChangesets(directory: string): Changeset[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .map((file) => {
      const [, frontmatter = '', summary = ''] =
        /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(readFileSync(join(directory, file), 'utf8')) ?? []
      const bumps = Object.fromEntries(
        [...frontmatter.matchAll(/^["']?([^"':]+)["']?:\s*(major|minor|patch)$/gm)].map((m) => [m[1], m[2]]),
      )
      return { file, bumps, summary: summary.trim() }
    })
}

let deadline: AbortSignal
let started = 0
/** Prints how long each step took: the rehearsal has a time bound, this shows where it goes. */
function step(name: string): void {
  console.log(`rehearsal: ${name} at ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
const cleanups: (() => Promise<void> | void)[] = []
let copy: string
let changesets: Changeset[]
let registry: LocalRegistry
let nodeApp: string
let workerApp: string
let nodeReadmeExamples: string[]
let workerReadmeExamples: string[]
let workerWranglerBin: string
/** Per fixture, the third-party packages `npm ci` installed at another version than the committed lock's. */
const installedOffLock = new Map<string, unknown[]>()

function npmrc(registryURL: string, token: string): string {
  const host = registryURL.replace(/^http:/, '')
  return `@workfront-oauth:registry=${registryURL}\n${host}:_authToken=${token}\n`
}

/** What the local registry serves for each of `names`, at the version the rehearsal published. */
async function publishedManifests(names: readonly string[]): Promise<Map<string, RegistryManifest>> {
  const manifests = new Map<string, RegistryManifest>()
  for (const name of names) {
    const { directory } = packages.find((p) => p.json.name === name) as (typeof packages)[number]
    const { version } = readJSON(join(copy, directory, 'package.json'))
    const response = await fetch(new URL(name.replace('/', '%2f'), registry.url), { signal: deadline })
    if (!response.ok) throw new Error(`the local registry has no ${name}: ${response.status}`)
    const packument = (await response.json()) as { versions: Record<string, RegistryManifest> }
    const manifest = packument.versions[version]
    if (!manifest) throw new Error(`the local registry has no ${name}@${version}`)
    manifests.set(name, manifest)
  }
  return manifests
}

/**
 * A copy of `fixtures/<fixture>` installed with npm: our packages from the local registry, the rest from the
 * committed lock (`npm ci`), or resolved afresh (`latest`, printing how that differs from the lock).
 */
async function npmProject(prefix: string, fixture: string, own: readonly string[]): Promise<string> {
  const project = temporaryDirectory(prefix)
  cleanups.push(() => remove(project))
  cpSync(new URL(fixture, fixtures), project, { recursive: true })
  const packageJSON = join(project, 'package.json')
  const lockPath = join(project, 'package-lock.json')
  const json = readJSON<PackageJSON & { dependencies: Record<string, string> }>(packageJSON)
  const listed = Object.keys(json.dependencies).filter((name) => name.startsWith(OWN_SCOPE))
  if (listed.sort().join() !== [...own].sort().join()) {
    throw new Error(
      `fixtures/${fixture}package.json installs ${listed.join(', ')}, but this project takes ${own.join(', ')}: ` +
        'edit its dependencies, then run `pnpm rehearsal:lock`',
    )
  }
  const manifests = await publishedManifests(own)
  json.dependencies = pinRanges(json.dependencies, manifests)
  writeFileSync(packageJSON, `${JSON.stringify(json, null, 2)}\n`)
  writeFileSync(join(project, '.npmrc'), npmrc(registry.url, registry.token))
  const npm = (args: string[]): Promise<string> =>
    run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd: project, signal: deadline })
  const committed = readJSON<Lockfile>(lockPath)
  if (resolution === 'locked') {
    writeFileSync(lockPath, `${JSON.stringify(pinOwnPackages(committed, manifests), null, 2)}\n`)
    await npm(['ci', '--prefer-offline'])
    installedOffLock.set(
      fixture,
      offLock(committed, readJSON(join(project, 'node_modules/.package-lock.json'))),
    )
  } else {
    rmSync(lockPath)
    await npm(['install', '--prefer-online'])
    const fresh = readJSON<Lockfile>(lockPath)
    console.log(`rehearsal: ${describeDrift(fixture, lockDrift(committed, fresh))}`)
    if (updateLocks) {
      writeFileSync(
        new URL(`${fixture}package-lock.json`, fixtures),
        `${JSON.stringify(forCommit(fresh), null, 2)}\n`,
      )
    }
  }
  // Every dependency present and within its range (npm ci installs a stale lock as it is; this notices).
  await npm(['ls', '--all']).catch((error: Error) => {
    throw new Error(`fixtures/${fixture}: the installed tree is incomplete; run \`pnpm rehearsal:lock\``, {
      cause: error,
    })
  })
  return project
}

/**
 * The wrangler that builds the Worker: the workspace's (pinned by its lock), or with `latest`, the newest
 * release if it runs on this Node (it is then installed into the Worker project, as a user would).
 */
async function workerWrangler(project: string): Promise<string> {
  if (resolution === 'locked') return wrangler
  const newest = JSON.parse(
    await run('npm', ['view', 'wrangler@latest', 'version', 'engines', '--json'], {
      cwd: project,
      signal: deadline,
    }),
  ) as { version: string; engines?: { node?: string } }
  const needs = newest.engines?.node
  if (needs && !satisfies(process.versions.node, needs)) {
    console.log(
      `rehearsal: wrangler ${newest.version} needs Node ${needs}; the Worker is built with the workspace's wrangler`,
    )
    return wrangler
  }
  await run('npm', ['install', '--save-dev', `wrangler@${newest.version}`, '--no-audit', '--no-fund'], {
    cwd: project,
    signal: deadline,
  })
  console.log(`rehearsal: the Worker is built with wrangler ${newest.version}`)
  return join(project, 'node_modules/wrangler/bin/wrangler.js')
}

/** `npx workfront-mock` of the installed package, on a free port; resolves with its origin. */
async function startMock(project: string): Promise<{ origin: string; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(join(project, 'node_modules/.bin/workfront-mock'), [], {
    cwd: project,
    env: cleanEnv({ PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
    signal: deadline,
  })
  child.on('error', () => {}) // the abort at the deadline
  let output = ''
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      output += chunk
      if (output.includes('listening on')) resolve()
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    child.once('exit', (code) => reject(new Error(`workfront-mock exited (${code}): ${output}`)))
  })
  return { origin: `http://127.0.0.1:${port}`, child }
}

async function runAgainstMock(project: string, script: string): Promise<Record<string, unknown>> {
  const mock = await startMock(project)
  try {
    const out = await run(process.execPath, [script, mock.origin], { cwd: project, signal: deadline })
    return JSON.parse(out.trim().split('\n').at(-1) ?? '') as Record<string, unknown>
  } finally {
    mock.child.kill()
  }
}

beforeAll(async () => {
  deadline = AbortSignal.timeout(HANG_GUARD_MS)
  started = performance.now()
  copy = await copyWorkspace('rehearsal')
  cleanups.push(() => remove(copy))
  const env = cleanEnv({ CI: 'true' })
  await run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'], {
    cwd: copy,
    env,
    signal: deadline,
  })
  step('workspace copied and installed')
  changesets = pendingChangesets(join(copy, '.changeset'))
  await run('pnpm', ['version-packages'], { cwd: copy, env, signal: deadline })

  step('versioned')
  const registryDirectory = temporaryDirectory('registry')
  cleanups.push(() => remove(registryDirectory))
  registry = await startRegistry(registryDirectory)
  cleanups.push(() => registry.close())
  appendFileSync(join(copy, '.npmrc'), `\n${npmrc(registry.url, registry.token)}`)
  // Provenance needs GitHub's OIDC token: only release.yml can sign. Everything else is the real command.
  const publishEnv = cleanEnv({
    CI: 'true',
    'npm_config_@workfront-oauth:registry': registry.url,
    npm_config_provenance: 'false',
  })
  await run('pnpm', ['release'], { cwd: copy, env: publishEnv, signal: deadline })

  step('built and published')
  console.log(`rehearsal: Workers-only packages, used in the Worker only: ${forWorkers.join(', ') || 'none'}`)
  const workerPackages = ['@workfront-oauth/core', '@workfront-oauth/hono-adapter', ...forWorkers]
  ;[nodeApp, workerApp] = await Promise.all([
    npmProject('node-app', 'node-app/', forNode),
    npmProject('worker', 'worker/', workerPackages),
  ])
  importEverything(nodeApp, entryPoints(forNode))
  importEverything(workerApp, entryPoints(workerPackages))
  nodeReadmeExamples = pasteReadmeExamples(nodeApp, forNode)
  workerReadmeExamples = pasteReadmeExamples(workerApp, forWorkers)
  workerWranglerBin = await workerWrangler(workerApp)
  step(`installed into two npm projects (${resolution})`)
}, HANG_GUARD_MS)

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe('the first release', () => {
  it('the pending changesets version every published package 0.1.0', () => {
    expect(changesets.length).toBeGreaterThan(0)
    for (const { directory } of packages) {
      expect(readJSON(join(copy, directory, 'package.json')).version, directory).toBe('0.1.0')
    }
    expect(pendingChangesets(join(copy, '.changeset')), 'changesets left after versioning').toEqual([])
  })

  it('each CHANGELOG has a 0.1.0 section with the summary of every changeset of its package', () => {
    for (const { directory, json } of packages) {
      const changelog = readFileSync(join(copy, directory, 'CHANGELOG.md'), 'utf8')
      expect(changelog, directory).toMatch(
        new RegExp(`^# ${json.name}\\n\\n## 0\\.1\\.0\\n\\n### (Minor|Patch) Changes\\n`),
      )
      for (const { file, bumps, summary } of changesets) {
        if (!(json.name in bumps)) continue
        // The first line of each summary, as written (changesets indents the rest of a paragraph).
        expect(changelog, `${directory}/CHANGELOG.md lacks .changeset/${file}`).toContain(
          summary.split('\n')[0],
        )
      }
    }
  })
})

describe('installed with npm from the registry', () => {
  it.runIf(resolution === 'locked')(
    "every third-party package is the committed lock's (not checked by test:latest, which prints the drift)",
    () => {
      expect([...installedOffLock.keys()].sort()).toEqual(['node-app/', 'worker/'])
      for (const [fixture, drift] of installedOffLock) expect(drift, fixture).toEqual([])
    },
  )

  it('every package is there at 0.1.0, with its LICENSE, without workspace: ranges', () => {
    for (const name of names) {
      const installed = join(forWorkers.includes(name) ? workerApp : nodeApp, 'node_modules', name)
      const json = readJSON<PackageJSON & { dependencies?: Record<string, string> }>(
        join(installed, 'package.json'),
      )
      expect(json.version, name).toBe('0.1.0')
      expect(existsSync(join(installed, 'LICENSE')), `${name}/LICENSE`).toBe(true)
      for (const [dependency, range] of Object.entries(json.dependencies ?? {})) {
        expect(range, `${name} → ${dependency}`).not.toMatch(/^workspace:/)
      }
    }
  })

  it('a: Node ESM, TypeScript strict with nodenext: compiles, signs in, calls the API, refreshes once, logs out', async () => {
    await run(process.execPath, [tsc, '-p', 'tsconfig.nodenext.json'], { cwd: nodeApp, signal: deadline })
    const result = await runAgainstMock(nodeApp, 'out/app.js')
    expect(result).toMatchObject({
      returnTo: '/projects',
      sameAfterRefresh: true,
      codeExchanges: 1,
      refreshes: 1,
      sessionEnded: true,
      afterLogout: 'grant_not_found',
    })
    expect(result.projects).toEqual(expect.arrayContaining([expect.any(String)]))
  })

  it("the READMEs' examples, pasted into these projects, compile there (in a and c); the mock's run", async () => {
    expect(nodeReadmeExamples).toEqual(
      expect.arrayContaining(['readme/core/readme.ts', 'readme/workfront-mock/readme.ts']),
    )
    expect(workerReadmeExamples).toContain('readme/cloudflare-store/worker.ts')
    // a compiled them to out/; the mock's examples need nothing but the mock.
    for (const example of nodeReadmeExamples.filter((file) => file.startsWith('readme/workfront-mock/'))) {
      const compiled = join('out', example.replace(/\.ts$/, '.js'))
      await run(process.execPath, [compiled], { cwd: nodeApp, signal: deadline })
    }
  })

  it('b: TypeScript with bundler resolution, bundled with esbuild: the same run', async () => {
    await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], { cwd: nodeApp, signal: deadline })
    await build({
      entryPoints: [join(nodeApp, 'app.ts')],
      outfile: join(nodeApp, 'bundle/app.mjs'),
      absWorkingDir: nodeApp,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'error',
    })
    const result = await runAgainstMock(nodeApp, 'bundle/app.mjs')
    expect(result).toMatchObject({
      sameAfterRefresh: true,
      codeExchanges: 1,
      refreshes: 1,
      sessionEnded: true,
    })
  })

  it('c: a Worker with core, hono-adapter and the Durable Object store type-checks and builds with wrangler deploy --dry-run', async () => {
    expect(forWorkers, 'the Worker fixture uses the Durable Object store').toContain(
      '@workfront-oauth/cloudflare-store',
    )
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: workerApp, signal: deadline })
    await run(process.execPath, [workerWranglerBin, 'deploy', '--dry-run', '--outdir', 'dist'], {
      cwd: workerApp,
      env: cleanEnv({ WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' }),
      signal: deadline,
    })
    const bundle = join(workerApp, 'dist/worker.js')
    expect(statSync(bundle).size).toBeGreaterThan(10_000)
    expect(readFileSync(bundle, 'utf8')).toContain('/integrations/oauth2/api/v1/token')
  })

  it('d: CommonJS require() on this Node (≥ 20.19) gives what import() gives, and signs in', async () => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
    expect(major > 20 || (major === 20 && minor >= 19), `Node ${process.versions.node}`).toBe(true)
    const compared = JSON.parse(
      await run(process.execPath, ['compare.mjs', ...entryPoints(forNode)], {
        cwd: nodeApp,
        signal: deadline,
      }),
    ) as Record<string, unknown>
    for (const entry of entryPoints(forNode)) {
      expect(compared[entry], entry).toEqual({ exports: expect.any(Number), same: true })
    }
    const out = await run(process.execPath, ['require.cjs'], { cwd: nodeApp, signal: deadline })
    expect(JSON.parse(out)).toEqual({ projects: 3 })
  })

  it('e: the `workfront` command of @workfront-oauth/cli runs from node_modules/.bin', async () => {
    const bin = join(nodeApp, 'node_modules/.bin/workfront')
    const env = cleanEnv({ WORKFRONT_CONFIG_DIR: join(nodeApp, 'workfront-config') })
    expect((await run(bin, ['--version'], { cwd: nodeApp, env, signal: deadline })).trim()).toBe('0.1.0')
    expect(await run(bin, ['login', '--help'], { cwd: nodeApp, env, signal: deadline })).toContain(
      'Usage\n  workfront login',
    )
    const notSignedIn = await run(bin, ['token'], { cwd: nodeApp, env, signal: deadline }).then(
      () => ({ code: 0, message: '' }),
      (error: Error) => ({ code: (error.cause as { code?: unknown }).code, message: error.message }),
    )
    expect(notSignedIn.code).toBe(4)
    expect(notSignedIn.message).toContain('Sign in with: workfront login')
  })
})
