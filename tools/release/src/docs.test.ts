/**
 * The API reference in docs/api is generated from the TSDoc of every export by TypeDoc
 * (`pnpm run docs`, configured by tools/release/typedoc.json). This test generates it again into a
 * temporary directory: the generation must succeed, and docs/api must have exactly its pages (one per
 * export), so an added or removed export comes with its page. The wording of a comment can change without
 * regenerating (the API reports guard the signatures); `pnpm run docs` refreshes it, and runs before a release.
 */
import { readdirSync } from 'node:fs'
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

it('docs/api has the pages `pnpm run docs` generates from the TSDoc, one per export', async () => {
  const typedoc = join(root, 'tools/release/node_modules/.bin/typedoc')
  await run(typedoc, ['--options', 'typedoc.json', '--out', generated, '--logLevel', 'Error'], {
    cwd: join(root, 'tools/release'),
  })
  const HOW =
    'docs/api lacks or has extra pages: run `pnpm run docs` (or `pnpm api:update`) and commit docs/api'
  expect(files(committed), HOW).toEqual(files(generated))
  expect(files(generated)).toContain('@workfront-oauth/core/index/functions/createWorkfrontOAuth.md')
})
