import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'

describe('README', () => {
  it('shows examples/basic.ts verbatim, so that its example is type-checked', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
    const example = await readFile(new URL('../examples/basic.ts', import.meta.url), 'utf8')
    const block = /## Example\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]
    expect(block).toBe(example)
  })
})
