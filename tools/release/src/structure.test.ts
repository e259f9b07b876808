/**
 * The shape of the published packages' sources (issue #24): no import cycle between modules, type-only
 * imports included (a cycle in meaning is a cycle), and no source file over 400 lines but the state
 * machine's transition table. Tests, test support and examples are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { publishedPackages, root } from './workspace.ts'

const MAX_LINES = 400
/** Files allowed past MAX_LINES, each with its reason. */
const LONG_FILES: Record<string, string> = {
  'packages/core/src/machine.ts': 'the state machine: one transition table, read top to bottom',
}

const isSource = (file: string): boolean =>
  file.endsWith('.ts') &&
  !file.endsWith('.d.ts') &&
  !/\.(test|test-d|e2e\.test|workerd\.test)\.ts$/.test(file) &&
  !/\/(test|testing)\//.test(file)

function sources(): string[] {
  return publishedPackages().flatMap((pkg) =>
    readdirSync(join(pkg.path, 'src'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name))
      .filter(isSource),
  )
}

/** The relative modules `file` imports or re-exports, type-only ones included. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, false)
  return importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name.endsWith('.js') ? name.replace(/\.js$/, '.ts') : name))
}

/** Strongly connected components with more than one module (or a module importing itself): the cycles. */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0
  const indices = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (node: string): void => {
    indices.set(node, index)
    low.set(node, index++)
    stack.push(node)
    onStack.add(node)
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue
      if (!indices.has(next)) {
        visit(next)
        low.set(node, Math.min(low.get(node)!, low.get(next)!))
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!))
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = []
      let member: string
      do {
        member = stack.pop()!
        onStack.delete(member)
        component.push(member)
      } while (member !== node)
      if (component.length > 1 || graph.get(node)?.includes(node)) found.push(component.sort())
    }
  }
  for (const node of graph.keys()) if (!indices.has(node)) visit(node)
  return found
}

describe('source structure', () => {
  const files = sources()

  it('finds the sources', () => {
    expect(files.map((file) => relative(root, file))).toContain('packages/core/src/client.ts')
  })

  it('has no import cycle, type-only imports included', () => {
    const graph = new Map(files.map((file) => [file, importsOf(file)]))
    expect(cycles(graph).map((cycle) => cycle.map((file) => relative(root, file)))).toEqual([])
  })

  it(`has no file over ${MAX_LINES} lines but the state machine`, () => {
    const long = files
      .map((file) => ({ file: relative(root, file), lines: readFileSync(file, 'utf8').split('\n').length }))
      .filter(({ file, lines }) => lines > MAX_LINES && !(file in LONG_FILES))
      .map(({ file, lines }) => `${file}: ${lines} lines`)
    expect(long).toEqual([])
  })

  it('finds a cycle when there is one (the checker itself)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ])
    expect(cycles(graph)).toEqual([['a', 'b', 'c']])
  })
})
