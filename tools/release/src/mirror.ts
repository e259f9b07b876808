/**
 * Filling a local registry (`startRegistry(…, { everything: true })`) so that an install against it needs no
 * other registry: tarballs are published with the registry's own publish request (what `npm publish` sends),
 * our packages from `pnpm pack`, and third-party packages packed from the copies this workspace installed
 * (pnpm's store), with everything they depend on. Optional dependencies not installed here (other platforms'
 * binaries) are left out: npm skips an optional dependency it cannot fetch.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { LocalRegistry } from './registry.ts'
import { type PackageJSON, readJSON, root } from './workspace.ts'
import { run } from './workspace-copy.ts'

type Manifest = PackageJSON & {
  version: string
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  peerDependenciesMeta?: Record<string, { optional?: boolean }>
}

/** Where `name` is installed for the package in `from` (Node's lookup, up the `node_modules` folders). */
function locate(from: string, name: string): string | undefined {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'node_modules', name)
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    if (dirname(directory) === directory) return undefined
  }
}

/**
 * The installed directories of `names` and of everything they need, outside our scope. `names` are looked up
 * among all the packages of the workspace (pnpm hoists every one into `node_modules/.pnpm/node_modules`).
 */
export function dependencyClosure(names: readonly string[]): string[] {
  const store = join(root, 'node_modules/.pnpm/node_modules')
  const found = new Map<string, string>()
  const visit = (directory: string): void => {
    const manifest = readJSON<Manifest>(join(directory, 'package.json'))
    const id = `${manifest.name}@${manifest.version}`
    if (found.has(id)) return
    found.set(id, directory)
    const optional = new Set([
      ...Object.keys(manifest.optionalDependencies ?? {}),
      ...Object.entries(manifest.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([name]) => name),
    ])
    const needed = {
      ...manifest.peerDependencies,
      ...manifest.optionalDependencies,
      ...manifest.dependencies,
    }
    for (const name of Object.keys(needed)) {
      if (name.startsWith('@workfront-oauth/')) continue
      const dependency = locate(directory, name) ?? locate(store, name)
      if (dependency) visit(dependency)
      else if (!optional.has(name))
        throw new Error(`${id} needs ${name}, which this workspace has not installed`)
    }
  }
  for (const name of names) {
    const directory = locate(store, name)
    if (!directory) throw new Error(`${name} is not installed in this workspace`)
    visit(directory)
  }
  return [...found.values()]
}

/**
 * Packs installed package directories into `destination` as npm's tarballs are laid out (`package/…`), with
 * `tar`: an installed copy holds only what its tarball held. Answers the tarballs' paths.
 */
export async function packDirectories(
  directories: readonly string[],
  destination: string,
  signal: AbortSignal,
): Promise<string[]> {
  const tarballs: string[] = []
  for (const [index, directory] of directories.entries()) {
    const tarball = join(destination, `${index}.tgz`)
    const name = basename(directory)
    await run(
      'tar',
      [
        '-czf',
        tarball,
        '--exclude=node_modules',
        `--transform=s,^${name},package,`,
        '-C',
        dirname(directory),
        name,
      ],
      { cwd: destination, signal },
    )
    tarballs.push(tarball)
  }
  return tarballs
}

/** The tarballs in `directory` (what `pnpm pack --pack-destination` wrote). */
export function tarballsIn(directory: string): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.tgz'))
    .map((file) => join(directory, file))
}

/** Publishes a tarball to the registry: the request `npm publish` sends, with its manifest and the tarball. */
export async function publishTarball(
  registry: LocalRegistry,
  tarball: string,
  signal: AbortSignal,
): Promise<string> {
  const manifest = JSON.parse(
    await run('tar', ['-xzOf', tarball, 'package/package.json'], { cwd: dirname(tarball), signal }),
  ) as Manifest
  const data = readFileSync(tarball)
  const file = `${manifest.name}-${manifest.version}.tgz`
  const body = {
    _id: manifest.name,
    name: manifest.name,
    'dist-tags': { latest: manifest.version },
    versions: {
      [manifest.version]: {
        ...manifest,
        _id: `${manifest.name}@${manifest.version}`,
        dist: {
          shasum: createHash('sha1').update(data).digest('hex'),
          integrity: `sha512-${createHash('sha512').update(data).digest('base64')}`,
          tarball: new URL(`${manifest.name}/-/${file}`, registry.url).href,
        },
      },
    },
    _attachments: {
      [file]: {
        content_type: 'application/octet-stream',
        data: data.toString('base64'),
        length: data.length,
      },
    },
  }
  const response = await fetch(new URL(manifest.name.replace('/', '%2f'), registry.url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${registry.token}` },
    body: JSON.stringify(body),
    signal,
  })
  if (!response.ok) {
    throw new Error(
      `the local registry refused ${manifest.name}@${manifest.version}: ${response.status} ${await response.text()}`,
    )
  }
  return `${manifest.name}@${manifest.version}`
}
