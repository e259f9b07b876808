/**
 * The rehearsal's consumer projects (`fixtures/node-app`, `fixtures/worker`) are npm projects with a
 * committed `package.json` and `package-lock.json`: every third-party package they install comes from that
 * lock, so the test command gives the same answer next month whatever the registry serves by then.
 *
 * Our own packages are the exception: they are built and published to the local registry during the
 * rehearsal, so their lock entries (version, tarball, integrity, dependency ranges) are filled in from what
 * that registry serves before `npm ci`. The committed lock keeps their entries without `resolved` and
 * `integrity`, which differ on every run.
 *
 * `pnpm test:latest` resolves every range afresh instead (no lock) and reports how the result differs from
 * the committed lock; `pnpm rehearsal:lock` does the same and writes the new locks back.
 */

/** The scope of the packages this repository publishes. */
export const OWN_SCOPE = '@workfront-oauth/'

/** An entry of `packages` in an npm lockfile (v3). */
export interface LockEntry {
  version?: string
  resolved?: string
  integrity?: string
  dependencies?: Record<string, string>
  devDependencies?: Record<string, string>
  [field: string]: unknown
}

/** An npm lockfile, v3. */
export interface Lockfile {
  name?: string
  lockfileVersion: number
  requires?: boolean
  packages: Record<string, LockEntry>
}

/** One version of a package as a registry serves it (the fields a lock entry takes from it). */
export interface RegistryManifest {
  version: string
  dist: { tarball: string; integrity: string }
  [field: string]: unknown
}

/** The fields of a lock entry that come from the package's own manifest (npm's `Node` → lock entry). */
const MANIFEST_FIELDS = [
  'license',
  'dependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bin',
  'engines',
  'os',
  'cpu',
  'funding',
] as const

const isOwn = (path: string): boolean => path.startsWith(`node_modules/${OWN_SCOPE}`)
const packageName = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 13)

/**
 * The lock with our packages' entries made to describe exactly what the local registry serves, and the
 * root's dependency ranges on them pinned to those versions. Third-party entries are left untouched: they
 * are the point of the lock. Throws when the lock lacks one of `manifests` (it must be regenerated).
 */
export function pinOwnPackages(lock: Lockfile, manifests: ReadonlyMap<string, RegistryManifest>): Lockfile {
  const packages: Record<string, LockEntry> = {}
  const missing = new Set(manifests.keys())
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!isOwn(path)) {
      packages[path] = entry
      continue
    }
    const name = packageName(path)
    const manifest = manifests.get(name)
    if (!manifest) throw new Error(`the lock has ${name}, which the workspace does not publish`)
    missing.delete(name)
    const fromManifest = MANIFEST_FIELDS.filter((field) => manifest[field] !== undefined).map((field) => [
      field,
      manifest[field],
    ])
    packages[path] = {
      version: manifest.version,
      resolved: manifest.dist.tarball,
      integrity: manifest.dist.integrity,
      ...Object.fromEntries(fromManifest),
    }
  }
  if (missing.size > 0) throw new Error(`the lock lacks ${[...missing].join(', ')}`)
  const root = packages[''] ?? {}
  packages[''] = { ...root, dependencies: pinRanges(root.dependencies ?? {}, manifests) }
  return { ...lock, packages }
}

/** A package.json's dependency ranges on our packages replaced by the exact versions `manifests` give. */
export function pinRanges(
  dependencies: Record<string, string>,
  manifests: ReadonlyMap<string, RegistryManifest>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(dependencies).map(([name, range]) => [name, manifests.get(name)?.version ?? range]),
  )
}

/** The lock as it is committed: our packages' entries without what changes on every publish. */
export function forCommit(lock: Lockfile): Lockfile {
  const packages: Record<string, LockEntry> = {}
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (!isOwn(path)) {
      packages[path] = entry
      continue
    }
    const { resolved: _resolved, integrity: _integrity, ...kept } = entry
    packages[path] = kept
  }
  return { ...lock, packages }
}

/** A third-party package whose resolved version differs between two locks (absent: `null`). */
export interface Drift {
  path: string
  locked: string | null
  resolved: string | null
}

/** How a fresh resolution (`latest`) differs from the committed lock, third-party packages only, sorted. */
export function lockDrift(locked: Lockfile, latest: Lockfile): Drift[] {
  const paths = new Set([...Object.keys(locked.packages), ...Object.keys(latest.packages)])
  const drift: Drift[] = []
  for (const path of [...paths].sort()) {
    if (path === '' || isOwn(path)) continue
    const a = locked.packages[path]?.version ?? null
    const b = latest.packages[path]?.version ?? null
    if (a !== b) drift.push({ path, locked: a, resolved: b })
  }
  return drift
}

/** One line per drift, for the test's output. */
export function describeDrift(project: string, drift: readonly Drift[]): string {
  if (drift.length === 0) return `${project}: a fresh resolution gives exactly the committed lock`
  const lines = drift.map(
    ({ path, locked, resolved }) =>
      `  ${path.replace(/^node_modules\//, '')}: ${locked ?? '(absent)'} → ${resolved ?? '(gone)'}`,
  )
  return [
    `${project}: a fresh resolution differs from the committed lock in ${drift.length}:`,
    ...lines,
  ].join('\n')
}

/**
 * The third-party packages of an installed tree (npm's hidden lockfile, `node_modules/.package-lock.json`)
 * whose version is not the one the committed lock names. Packages the lock has but the tree lacks (optional
 * ones for other platforms) are not counted.
 */
export function offLock(committed: Lockfile, installed: Lockfile): Drift[] {
  return lockDrift(committed, installed).filter((drift) => drift.resolved !== null)
}
