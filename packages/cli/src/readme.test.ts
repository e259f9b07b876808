import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { COMMANDS } from './cli.ts'

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')

it('README shows examples/file-store.ts verbatim, so that its example is type-checked', async () => {
  const example = await readFile(new URL('../examples/file-store.ts', import.meta.url), 'utf8')
  expect(/## The file store\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1]).toBe(example)
})

it('README lists every command, and every command has examples in its --help', () => {
  for (const [name, command] of Object.entries(COMMANDS)) {
    expect(readme).toContain(`| \`${name}`)
    expect(command.examples.length).toBeGreaterThan(0)
  }
})
