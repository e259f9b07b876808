import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type PackageJSON, publishedPackages, readJSON, root } from './workspace.ts'

const rootJSON = readJSON<PackageJSON & { repository: { url: string }; bugs: { url: string } }>(
  join(root, 'package.json'),
)
// git+https://github.com/<owner>/<repo>.git → https://github.com/<owner>/<repo>
const repositoryWeb = rootJSON.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')
const license = readFileSync(join(root, 'LICENSE'), 'utf8')
const packages = publishedPackages()
const releaseTools = readJSON(join(root, 'tools/release/package.json'))

// A caret range on an exact version (`^6.9.0`), or several joined by `||` for peers (`^5.9.0 || ^6.0.0`).
const caret = /^\^\d+\.\d+\.\d+$/
const caretRanges = /^\^\d+\.\d+\.\d+( \|\| \^\d+\.\d+\.\d+)*$/

it('finds the published packages', () => {
  expect(packages.map((p) => p.json.name)).toEqual(
    expect.arrayContaining([
      '@workfront-oauth/core',
      '@workfront-oauth/hono-adapter',
      '@workfront-oauth/opentelemetry',
      '@workfront-oauth/redis-store',
      '@workfront-oauth/workfront-mock',
    ]),
  )
})

it('the root has the MIT LICENSE and the repository links every package copies', () => {
  expect(license).toMatch(/^MIT License\n/)
  expect(rootJSON.license).toBe('MIT')
  expect(rootJSON.repository.url).toMatch(/^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/)
  expect(rootJSON.bugs.url).toBe(`${repositoryWeb}/issues`)
})

describe.each(packages)('$directory', ({ directory, path, json: pkg }) => {
  const where = `${directory}/package.json`

  it('names itself in the @workfront-oauth scope and describes itself', () => {
    expect(pkg.name, where).toMatch(/^@workfront-oauth\/[a-z0-9-]+$/)
    expect(pkg.description, `${where}: description`).toEqual(expect.stringMatching(/\S.{20,}/))
  })

  it('is MIT and ships the LICENSE (an identical copy of the root LICENSE)', () => {
    expect(pkg.license, where).toBe('MIT')
    const copy = join(path, 'LICENSE')
    expect(existsSync(copy), `${directory}/LICENSE is missing: cp LICENSE ${directory}/`).toBe(true)
    expect(readFileSync(copy, 'utf8'), `${directory}/LICENSE differs from the root LICENSE`).toBe(license)
    expect(pkg.files, `${where}: "files"`).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']))
  })

  it('points at its source, home page and issue tracker (npm provenance checks `repository`)', () => {
    expect(pkg.repository, `${where}: repository`).toEqual({
      type: 'git',
      url: rootJSON.repository.url,
      directory,
    })
    expect(pkg.homepage, `${where}: homepage`).toBe(`${repositoryWeb}/tree/main/${directory}#readme`)
    expect(pkg.bugs, `${where}: bugs`).toEqual({ url: rootJSON.bugs.url })
    expect(pkg.keywords, `${where}: keywords`).toEqual(expect.arrayContaining(['workfront', 'oauth2']))
  })

  it('publishes publicly with npm provenance', () => {
    expect(pkg.publishConfig, `${where}: publishConfig`).toEqual({ access: 'public', provenance: true })
  })

  it('refuses to be packed unbuilt', () => {
    expect((pkg.scripts as Record<string, string>)?.prepack, `${where}: scripts.prepack`).toBe(
      'node ../../scripts/assert-built.mjs',
    )
    const guard = join(root, 'scripts/assert-built.mjs')
    expect(spawnSync(process.execPath, [guard], { cwd: path }).status, `${directory} is built`).toBe(0)
    const unbuilt = mkdtempSync(join(tmpdir(), 'unbuilt-'))
    try {
      cpSync(join(path, 'package.json'), join(unbuilt, 'package.json'))
      const packing = spawnSync(process.execPath, [guard], { cwd: unbuilt, encoding: 'utf8' })
      expect(packing.status).toBe(1)
      expect(packing.stderr).toContain(`${pkg.name}: refusing to pack: dist/`)
    } finally {
      rmSync(unbuilt, { recursive: true, force: true })
    }
  })

  it('takes runtime dependencies with caret ranges and peers with caret ranges', () => {
    for (const [name, range] of Object.entries((pkg.dependencies ?? {}) as Record<string, string>)) {
      const expected = name.startsWith('@workfront-oauth/') ? /^workspace:\^$/ : caret
      expect(range, `${where}: dependencies.${name}`).toMatch(expected)
    }
    for (const [name, range] of Object.entries((pkg.peerDependencies ?? {}) as Record<string, string>)) {
      expect(range, `${where}: peerDependencies.${name}`).toMatch(caretRanges)
    }
  })

  it('has a README that links to its API reference, and a CHANGELOG', () => {
    expect(existsSync(join(path, 'README.md')), `${directory}/README.md`).toBe(true)
    const reference = `../../docs/api/${pkg.name}/README.md`
    expect(
      readFileSync(join(path, 'README.md'), 'utf8'),
      `${directory}/README.md links to ${reference}`,
    ).toContain(`](${reference})`)
    expect(existsSync(join(path, reference)), `${reference} (pnpm run docs)`).toBe(true)
    expect(existsSync(join(path, 'CHANGELOG.md')), `${directory}/CHANGELOG.md`).toBe(true)
  })

  it('is built before the release checks run (a devDependency of tools/release)', () => {
    const devDependencies = (releaseTools.devDependencies ?? {}) as Record<string, string>
    expect(
      devDependencies[pkg.name],
      `add "${pkg.name}": "workspace:^" to tools/release devDependencies`,
    ).toBe('workspace:^')
  })
})
