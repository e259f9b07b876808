/**
 * A peer range is a promise that the package works with the oldest version it allows. In a temporary copy
 * of the workspace, every published package's peer dependencies are installed at the lowest published
 * version their range allows (`^4.7.0` → 4.7.0; `^5.3.0 || ^6.0.0` → 5.3.0), and the package's own type
 * check and tests run against them; a peer that only brings types (`@types/*`, `*-types`) needs the type
 * check only. The newest versions are what the workspace itself tests every day.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PackageJSON, publishedPackages, readJSON } from './workspace.ts'
import { cleanEnv, copyWorkspace, remove, run } from './workspace-copy.ts'

// Not part of `pnpm test` (about 3 minutes on 2 cores, and it resolves versions from the registry on the day):
// `pnpm test:peers`, a job of the dependency-drift workflow. A hang guard, not a time limit.
const BOUND_MS = 45 * 60_000

type Version = [number, number, number]
const parse = (version: string): Version => version.split('.').map(Number) as Version
const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/** The lowest of the published versions `npm view` lists for a range (it leaves prereleases out). */
export function lowest(versions: string | string[]): string {
  const list = (Array.isArray(versions) ? versions : [versions]).filter((v) => /^\d+\.\d+\.\d+$/.test(v))
  const sorted = list.map(parse).sort(compare)
  if (sorted.length === 0) throw new Error(`no release among ${JSON.stringify(versions)}`)
  return (sorted[0] as Version).join('.')
}

const typesOnly = (peer: string): boolean => peer.startsWith('@types/') || peer.endsWith('-types')

const withPeers = publishedPackages().filter((p) => Object.keys(p.json.peerDependencies ?? {}).length > 0)
const env = cleanEnv({ CI: 'true' })
let copy: string
let deadline: AbortSignal
/** Package name → peer → the version installed for it. */
const floors = new Map<string, Record<string, string>>()

it('lowest() picks the oldest release', () => {
  expect(lowest(['6.0.0', '5.10.1', '5.3.0', '5.3.0-beta.1'])).toBe('5.3.0')
  expect(lowest('4.7.0')).toBe('4.7.0')
  expect(() => lowest([])).toThrow(/no release/)
})

describe.runIf(withPeers.length > 0)('peers at the oldest version their range allows', () => {
  beforeAll(async () => {
    deadline = AbortSignal.timeout(BOUND_MS)
    copy = await copyWorkspace('min-peers')
    for (const { directory, json: pkg } of withPeers) {
      const path = join(copy, directory, 'package.json')
      const json = readJSON<PackageJSON & Record<'devDependencies', Record<string, string>>>(path)
      const peers: Record<string, string> = {}
      for (const [peer, range] of Object.entries(pkg.peerDependencies as Record<string, string>)) {
        const listed = await run('npm', ['view', `${peer}@${range}`, 'version', '--json'], {
          cwd: copy,
          signal: deadline,
        })
        peers[peer] = lowest(JSON.parse(listed) as string | string[])
      }
      floors.set(pkg.name, peers)
      json.devDependencies = { ...json.devDependencies, ...peers }
      writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`)
    }
    // A package whose tests use another one and hand it that one's peer (the Node bridge's tests give
    // redis-store an ioredis client) takes the same floor: an app has one copy, and two make types differ.
    for (const { directory } of withPeers) {
      const path = join(copy, directory, 'package.json')
      const json = readJSON<PackageJSON & Record<'devDependencies', Record<string, string>>>(path)
      for (const used of Object.keys(json.devDependencies ?? {})) {
        for (const [peer, version] of Object.entries(floors.get(used) ?? {})) {
          if (json.devDependencies[peer] !== undefined) json.devDependencies[peer] = version
        }
      }
      writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`)
    }
    console.log(`oldest peers: ${JSON.stringify(Object.fromEntries(floors))}`)
    await run('pnpm', ['install', '--no-frozen-lockfile', '--prefer-offline'], {
      cwd: copy,
      env,
      signal: deadline,
    })
    const filters = withPeers.flatMap((p) => ['--filter', `${p.json.name}...`])
    await run('pnpm', ['turbo', 'run', 'build', '--output-logs=errors-only', ...filters], {
      cwd: copy,
      env,
      signal: deadline,
    })
  }, BOUND_MS)

  afterAll(() => {
    if (copy) remove(copy)
  })

  it.each(withPeers)(
    '$json.name: typecheck and tests pass with the oldest peers',
    async ({ directory, json }) => {
      const peers = floors.get(json.name) ?? {}
      for (const [peer, version] of Object.entries(peers)) {
        const installed = readJSON(join(copy, directory, 'node_modules', peer, 'package.json')).version
        expect(installed, `${peer} installed for ${json.name}`).toBe(version)
      }
      const cwd = join(copy, directory)
      await run('pnpm', ['run', 'typecheck'], { cwd, env, signal: deadline })
      if (Object.keys(peers).every(typesOnly)) {
        console.log(
          `${json.name}: its peers only bring types (${Object.keys(peers).join(', ')}): type check only`,
        )
        return
      }
      const output = await run('pnpm', ['run', 'test'], { cwd, env, signal: deadline })
      expect(output).toMatch(/Tests\s+\d+ passed/)
      expect(output).not.toMatch(/\d+ failed/)
    },
  )
})
