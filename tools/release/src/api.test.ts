/**
 * The public API is guarded: each entry point of each published package has a committed API report
 * (`packages/<name>/etc/<entry>.api.md`, made by API Extractor from the built `.d.ts`), and this test fails
 * when the built surface differs from it, so that every change of the surface shows in review with a
 * changeset of the right bump. Every export has a TSDoc comment.
 *
 * `pnpm api:update` rebuilds the packages and rewrites the reports.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { entryPointsOf, generateReport, reportPath, undocumentedExports } from './api-report.ts'
import { publishedPackages, root } from './workspace.ts'

const UPDATE = process.env.UPDATE_API_REPORTS === '1'
const packages = publishedPackages()
const HOW =
  'The public API changed. Run `pnpm api:update`, review the diff of the .api.md files, and add a ' +
  'changeset (`pnpm changeset`): major for a removed or changed export once a package is 1.0, minor for an ' +
  'addition (or for a breaking change before 1.0).'

describe.each(packages)('$json.name', (pkg) => {
  const entries = entryPointsOf(pkg)

  it('has an entry point with types', () => {
    expect(entries.map((e) => e.subpath)).toContain('.')
  })

  it.each(entries)('$subpath: the API report is up to date and every export is documented', (entry) => {
    const generated = generateReport(pkg, entry)
    const committed = reportPath(pkg, entry)
    const where = relative(root, committed)
    if (UPDATE) {
      mkdirSync(dirname(committed), { recursive: true })
      writeFileSync(committed, generated)
    }
    expect(existsSync(committed), `${where} is missing. ${HOW}`).toBe(true)
    expect(generated, `${where} differs from the built API. ${HOW}`).toBe(readFileSync(committed, 'utf8'))
    expect(
      undocumentedExports(generated),
      `exports of ${pkg.json.name}${entry.subpath.slice(1)} without a TSDoc comment (say what each is for)`,
    ).toEqual([])
  })

  it('has no report for an entry point it no longer has', () => {
    const folder = join(pkg.path, 'etc')
    const reports = existsSync(folder) ? readdirSync(folder).filter((f) => f.endsWith('.api.md')) : []
    expect(reports.sort()).toEqual(entries.map((e) => `${e.name}.api.md`).sort())
  })
})
