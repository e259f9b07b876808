import { readFile } from 'node:fs/promises'
import { expect, it } from 'vitest'
import { COMMANDS } from './cli.ts'

it('README lists every command, and every command has examples in its --help', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  for (const [name, command] of Object.entries(COMMANDS)) {
    expect(readme).toContain(`| \`${name}`)
    expect(command.examples.length).toBeGreaterThan(0)
  }
})
