/**
 * Code in the docs is code that compiles: every TypeScript/JavaScript block in `docs/**\/*.md` and in every
 * README is a file that `pnpm typecheck` checks, named by a `<!-- file: … -->` line above the fence and kept
 * identical to it here. Also: relative links resolve, and every page of docs/ is in the index.
 *
 * `UPDATE_DOCS=1 pnpm --filter @workfront-oauth/examples exec vitest run test/docs.test.ts` copies each
 * marked file into its block (the files are the truth; edit them, not the Markdown).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { codeBlocks } from '@workfront-oauth/test-kit/markdown'
import { describe, expect, it } from 'vitest'
import { CODE_LANGUAGES, docsFiles, ROOT, sourceText, typecheckedFiles } from './markdown.ts'

const UPDATE = process.env.UPDATE_DOCS === '1'
const docs = docsFiles()
const HOW =
  'Put the code in a .ts file that a `typecheck` script checks (docs: examples/<topic>/…; a package README: ' +
  "packages/<pkg>/examples/…, in that package's tsconfig.test.json) and write `<!-- file: <path relative to " +
  'the Markdown file>[#region] -->` on the line above the fence. A part of a file: `// #region name` … ' +
  '`// #endregion` in the file and `#name` after the path.'

describe('docs code blocks', () => {
  it('finds the docs: docs/**/*.md and every README', () => {
    expect(docs).toContain('README.md')
    expect(docs).toContain('docs/README.md')
    expect(docs).toContain('packages/core/README.md')
  })

  it('every TypeScript/JavaScript block names its source file', () => {
    const unmarked = docs.flatMap((doc) =>
      codeBlocks(doc, read(doc))
        .filter((block) => CODE_LANGUAGES.has(block.lang) && block.marker === null)
        .map(
          (block) => `${block.doc}:${block.line}: a \`\`\`${block.lang} block without a source file. ${HOW}`,
        ),
    )
    expect(unmarked).toEqual([])
  })

  it('every block with a source file shows it verbatim', () => {
    const problems: string[] = []
    for (const doc of docs) {
      const text = read(doc)
      const blocks = codeBlocks(doc, text).filter((block) => block.marker !== null)
      const lines = text.split('\n')
      // Bottom-up, so that rewriting a block keeps the line numbers of the ones above it.
      for (const block of blocks.reverse()) {
        const source = sourceText(doc, block.marker!)
        if ('error' in source) {
          problems.push(`${doc}:${block.line}: ${source.error}.`)
          continue
        }
        if (source.text === block.body) continue
        if (UPDATE) {
          const body = source.text.replace(/\n$/, '').split('\n')
          lines.splice(block.start, block.end - block.start, ...body.map((l) => (l ? block.indent + l : l)))
          continue
        }
        problems.push(
          `${doc}:${block.line}: the block differs from ${block.marker} ${firstDifference(block.body, source.text)}. ` +
            'Edit the file, then run `UPDATE_DOCS=1 pnpm --filter @workfront-oauth/examples exec vitest run test/docs.test.ts` ' +
            'to copy it into the Markdown.',
        )
      }
      if (UPDATE) writeFileSync(join(ROOT, doc), lines.join('\n'))
    }
    expect(problems).toEqual([])
  })

  it('every TypeScript source file of a block is type-checked by `pnpm typecheck`', () => {
    const checked = typecheckedFiles()
    const unchecked = docs.flatMap((doc) =>
      codeBlocks(doc, read(doc)).flatMap((block) => {
        if (block.marker === null) return []
        const path = resolve(ROOT, dirname(doc), block.marker.split('#')[0]!)
        if (!/\.[mc]?tsx?$/.test(path) || checked.has(path)) return []
        return [
          `${doc}:${block.line}: ${rel(path)} is not in any tsconfig that a package's \`typecheck\` script runs ` +
            '(tsc -p …): add it to one, e.g. examples/tsconfig.json or the package’s tsconfig.test.json.',
        ]
      }),
    )
    expect(unchecked).toEqual([])
  })
})

describe('docs links', () => {
  it('every relative link and image in the docs points to a file that exists', () => {
    const broken = docs.flatMap((doc) => {
      const withoutCode = read(doc).replace(/^(\s*)(`{3,}|~{3,})[\s\S]*?^\1\2\s*$/gm, '')
      return [...withoutCode.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
        .map((match) => match[1]!)
        .filter((target) => !/^(?:[a-z][a-z0-9+.-]*:|#)/i.test(target))
        .filter((target) => {
          const path = resolve(ROOT, dirname(doc), decodeURI(target.split('#')[0]!))
          try {
            readFileSync(path)
            return false
          } catch (error) {
            return (error as NodeJS.ErrnoException).code !== 'EISDIR'
          }
        })
        .map((target) => `${doc}: the link (${target}) points to nothing`)
    })
    expect(broken).toEqual([])
  })

  it('docs/README.md links every page of docs/, and the root README links docs/', () => {
    const index = read('docs/README.md')
    const missing = docs
      .filter((doc) => doc.startsWith('docs/') && doc !== 'docs/README.md')
      .map((doc) => doc.slice('docs/'.length))
      .filter((page) => !index.includes(`](${page})`) && !index.includes(`](./${page})`))
      .map(
        (page) => `docs/README.md does not link ${page}: add a line \`- [Title](${page}) — what it answers\``,
      )
    expect(missing).toEqual([])
    expect(read('README.md')).toContain('](docs/README.md)')
  })
})

function read(doc: string): string {
  return readFileSync(join(ROOT, doc), 'utf8')
}

function rel(path: string): string {
  return relative(ROOT, path).split(sep).join('/')
}

function firstDifference(block: string, file: string): string {
  const a = block.split('\n')
  const b = file.split('\n')
  const at = a.findIndex((line, index) => line !== b[index])
  const index = at < 0 ? a.length : at
  return `from its line ${index + 1}: the Markdown has ${JSON.stringify(a[index] ?? '(end)')}, the file ${JSON.stringify(b[index] ?? '(end)')}`
}
