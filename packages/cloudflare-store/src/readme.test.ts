import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

const read = (path: string): Promise<string> => readFile(new URL(path, import.meta.url), 'utf8')

describe('README', () => {
  it('shows examples/worker.ts and examples/wrangler.jsonc verbatim (the first is type-checked)', async () => {
    const readme = await read('../README.md')
    const block = (lang: string): string | undefined =>
      new RegExp(`## Example\\n[\\s\\S]*?\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1]
    expect(block('ts')).toBe(await read('../examples/worker.ts'))
    expect(block('jsonc')).toBe(await read('../examples/wrangler.jsonc'))
  })

  it('binds the exported class with a SQLite migration', async () => {
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
})
