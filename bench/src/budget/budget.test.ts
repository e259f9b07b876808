/**
 * The size budget (issue #22): growth is a decision, not an accident. Every public entry point of every
 * published package, and the code + refresh apps of the bundle benchmark, must fit the bytes (minified +
 * gzip) that `size-budget.json` gives them. A new entry point fails until it is given a budget; raising one
 * is a commit that says why.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { BUNDLE_ENTRIES, bundle, gzipSize } from '../bundle/run.ts'
import { entryPoints, measure } from './measure.ts'

interface Budget {
  entryPoints: Record<string, number>
  apps: Record<string, number>
}
const BUDGET = JSON.parse(
  readFileSync(new URL('../../size-budget.json', import.meta.url), 'utf8'),
) as Budget & { $comment?: string }

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`

describe('size budget (minified + gzip)', () => {
  it('every published entry point fits its budget, and has one', async () => {
    const found = entryPoints()
    expect(found.map((e) => e.name)).toContain('@workfront-oauth/core')
    const over: string[] = []
    for (const entry of found) {
      const budget = BUDGET.entryPoints[entry.name]
      const size = await measure(entry)
      console.log(`${entry.name}: ${kib(size)} of ${budget === undefined ? 'no budget' : kib(budget)}`)
      if (budget === undefined)
        over.push(`${entry.name} (${kib(size)}) has no budget in bench/size-budget.json`)
      else if (size > budget) over.push(`${entry.name}: ${kib(size)} > its budget ${kib(budget)}`)
    }
    expect(over).toEqual([])
    // A budget for an entry point that no longer exists is a mistake too.
    expect(Object.keys(BUDGET.entryPoints).sort()).toEqual(found.map((e) => e.name).sort())
  })

  it('the code + refresh apps of the bundle benchmark fit theirs', async () => {
    const over: string[] = []
    for (const entry of BUNDLE_ENTRIES.filter((e) => e.ours)) {
      const code = await bundle(
        new URL(`../bundle/entries/${entry.id}.ts`, import.meta.url).pathname,
        entry.external,
      )
      const size = gzipSize(code)
      const budget = BUDGET.apps[entry.id]
      console.log(`${entry.label} app: ${kib(size)} of ${budget === undefined ? 'no budget' : kib(budget)}`)
      if (budget === undefined || size > budget)
        over.push(`${entry.label}: ${kib(size)} > ${budget ?? 'none'}`)
    }
    expect(over).toEqual([])
  })
})
