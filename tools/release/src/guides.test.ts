import { describe, expect, it } from 'vitest'
import { installSteps, packagesNamed } from './guides.ts'

describe("the guides' install steps", () => {
  it('are the sh blocks that install, up to their last install line; quoted blocks, tarball installs and other blocks are not', () => {
    const page = [
      '# Page',
      '```sh',
      'mkdir app && cd app && npm init -y',
      'npm install a @b/c',
      'npm install -D d',
      'npx serve   # starts a server',
      '```',
      '> ```sh',
      '> npm install /tmp/a.tgz',
      '> ```',
      '```ts',
      "import 'a'",
      '```',
      '```sh',
      'npx wrangler deploy',
      '```',
      '```sh',
      'git clone https://example.com/repo && cd repo && pnpm pack',
      'npm install /tmp/a-0.0.0.tgz',
      '```',
      '```sh',
      'npm install --global e     # or: pnpm add --global e',
      'e --help',
      '```',
    ].join('\n')
    expect(installSteps(page)).toEqual([
      { line: 2, lines: ['mkdir app && cd app && npm init -y', 'npm install a @b/c', 'npm install -D d'] },
      { line: 21, lines: ['npm install --global e     # or: pnpm add --global e'] },
    ])
  })

  it('name their packages without flags, versions or comments', () => {
    expect(packagesNamed('npm install -D a @b/c@1.2.3 d@latest   # or: pnpm add x')).toEqual([
      'a',
      '@b/c',
      'd',
    ])
    expect(packagesNamed('mkdir x && cd x && npm init -y')).toEqual([])
  })
})
