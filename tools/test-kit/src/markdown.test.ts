import { describe, expect, it } from 'vitest'
import { codeBlocks } from './markdown.ts'

describe('codeBlocks', () => {
  it('reads fences, their language, indentation and the marker on the nearest line above', () => {
    const doc = [
      '# Title',
      '<!-- file: a.ts -->',
      '```ts',
      'const a = 1',
      '```',
      '',
      '<!-- file: b.ts#part -->',
      '',
      '- item',
      '  ```typescript',
      '  const b = 2',
      '',
      '  ```',
      '````md',
      '```ts',
      'inside',
      '```',
      '````',
      '```sh',
      'pnpm test',
      '```',
    ].join('\n')
    const blocks = codeBlocks('x.md', doc)
    expect(
      blocks.map(({ line, lang, body, marker, indent }) => ({ line, lang, body, marker, indent })),
    ).toEqual([
      { line: 3, lang: 'ts', body: 'const a = 1\n', marker: 'a.ts', indent: '' },
      // "- item" sits between the marker and the fence: the marker does not apply.
      { line: 10, lang: 'typescript', body: 'const b = 2\n\n', marker: null, indent: '  ' },
      { line: 14, lang: 'md', body: '```ts\ninside\n```\n', marker: null, indent: '' },
      { line: 19, lang: 'sh', body: 'pnpm test\n', marker: null, indent: '' },
    ])
  })
})
