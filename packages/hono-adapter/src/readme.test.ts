import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'

it('README shows examples/readme.ts verbatim, so that its example is type-checked', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const example = await readFile(new URL('../examples/readme.ts', import.meta.url), 'utf8')
  expect(/## Example\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]).toBe(example)
})
