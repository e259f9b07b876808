import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'

// The README shows both files verbatim (checked by the docs harness, examples/test/docs.test.ts).
const read = (path: string): Promise<string> => readFile(new URL(path, import.meta.url), 'utf8')

it("the README's wrangler.jsonc binds the class that its Worker exports, with a SQLite migration", async () => {
  const config = JSON.parse((await read('../examples/wrangler.jsonc')).replace(/^\s*\/\/.*$/gm, '')) as {
    durable_objects: { bindings: { name: string; class_name: string }[] }
    migrations: { new_sqlite_classes?: string[] }[]
  }
  expect(config.durable_objects.bindings).toEqual([
    { name: 'WORKFRONT_OAUTH_STORE', class_name: 'WorkfrontOAuthStore' },
  ])
  expect(config.migrations.flatMap((m) => m.new_sqlite_classes ?? [])).toEqual(['WorkfrontOAuthStore'])
  expect(await read('../examples/worker.ts')).toContain('export { WorkfrontOAuthStore }')
})
