/**
 * A peer range is a promise that the package works with the oldest version it allows. In a temporary copy
 * of the workspace, every published package's peer dependencies are installed at the floor of their range
 * (`^4.7.0` → 4.7.0; the lowest of `^5.3.0 || ^6.0.0` → 5.3.0), and the package's own type check and tests
 * run against them. The newest versions are what the workspace itself tests every day.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PackageJSON, publishedPackages, readJSON } from './workspace.ts'
import { cleanEnv, copyWorkspace, remove, run } from './workspace-copy.ts'

const BOUND_MS = 170_000

/** The lowest version a range of caret alternatives allows: `^5.3.0 || ^6.0.0` → `5.3.0`. */
export function floor(range: string): string {
  const versions = range.split('||').map((part) => {
    const match = /^\s*\^(\d+)\.(\d+)\.(\d+)\s*$/.exec(part)
    if (!match) throw new Error(`not a caret range: ${JSON.stringify(part)} in ${JSON.stringify(range)}`)
    return match.slice(1).map(Number) as [number, number, number]
  })
  versions.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2])
  return (versions[0] as number[]).join('.')
}

const withPeers = publishedPackages().filter((p) => Object.keys(p.json.peerDependencies ?? {}).length > 0)
const env = cleanEnv({ CI: 'true' })
let copy: string
let deadline: AbortSignal

it('floor() reads caret ranges', () => {
  expect(floor('^4.7.0')).toBe('4.7.0')
  expect(floor('^6.0.0 || ^5.3.0')).toBe('5.3.0')
  expect(() => floor('>=5')).toThrow(/not a caret range/)
})

describe.runIf(withPeers.length > 0)('peers at the floor of their ranges', () => {
  beforeAll(async () => {
    deadline = AbortSignal.timeout(BOUND_MS)
    copy = await copyWorkspace('min-peers')
    for (const { directory } of withPeers) {
      const path = join(copy, directory, 'package.json')
      const json = readJSON<
        PackageJSON & Record<'peerDependencies' | 'devDependencies', Record<string, string>>
      >(path)
      for (const [peer, range] of Object.entries(json.peerDependencies)) {
        json.devDependencies = { ...json.devDependencies, [peer]: floor(range) }
      }
      writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`)
    }
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
      const peers = json.peerDependencies as Record<string, string>
      for (const [peer, range] of Object.entries(peers)) {
        const installed = readJSON(join(copy, directory, 'node_modules', peer, 'package.json')).version
        expect(installed, `${peer} installed for ${json.name}`).toBe(floor(range))
      }
      const cwd = join(copy, directory)
      await run('pnpm', ['run', 'typecheck'], { cwd, env, signal: deadline })
      const output = await run('pnpm', ['run', 'test'], { cwd, env, signal: deadline })
      expect(output).toMatch(/Tests\s+\d+ passed/)
      expect(output).not.toMatch(/\d+ failed/)
    },
  )
})
