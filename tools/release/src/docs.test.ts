/**
 * The API reference in docs/api is generated from the TSDoc of every export by TypeDoc
 * (`pnpm run docs`, configured by tools/release/typedoc.json): this test generates it again into a
 * temporary directory and fails when the committed pages differ, so a changed comment or export shows up
 * in review with its rendered page.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { root } from './workspace.ts'
import { remove, run, temporaryDirectory } from './workspace-copy.ts'

const committed = join(root, 'docs/api')
const generated = temporaryDirectory('api-docs')
afterAll(() => remove(generated))

function files(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)))
    .sort()
}

it('docs/api is what `pnpm run docs` generates from the TSDoc', async () => {
  const typedoc = join(root, 'tools/release/node_modules/.bin/typedoc')
  await run(typedoc, ['--options', 'typedoc.json', '--out', generated, '--logLevel', 'Error'], {
    cwd: join(root, 'tools/release'),
  })
  const HOW = 'docs/api is out of date: run `pnpm run docs` (or `pnpm api:update`) and commit docs/api'
  expect(files(committed), HOW).toEqual(files(generated))
  for (const file of files(generated)) {
    expect(readFileSync(join(committed, file), 'utf8'), `${HOW} (${file})`).toBe(
      readFileSync(join(generated, file), 'utf8'),
    )
  }
  expect(files(generated)).toContain('@workfront-oauth/core/index/functions/createWorkfrontOAuth.md')
})
