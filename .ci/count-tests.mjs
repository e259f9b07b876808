#!/usr/bin/env node
// @ts-check
/**
 * The closing line of `.ci/run`: sums vitest's `Tests` lines per turbo task from a `pnpm test` log. A task that
 * turbo cancelled after another one failed (vitest prints "Cancelling test run", or its run ends without a
 * summary) is not a failure of its own: it is named as cancelled, and its partial counts are left out.
 *
 * Usage: node .ci/count-tests.mjs <log file>
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

/** @param {string} log */
export function countTests(log) {
  /** @type {Map<string, string[]>} */
  const tasks = new Map()
  for (const raw of log.split('\n')) {
    const line = raw.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
    const match = /^([^\s:]+):test: ?(.*)$/.exec(line)
    if (!match) continue
    const [, task, text] = /** @type {[string, string, string]} */ (match)
    tasks.set(task, [...(tasks.get(task) ?? []), text])
  }
  let passed = 0
  let failed = 0
  /** @type {string[]} */
  const cancelled = []
  for (const [task, lines] of tasks) {
    const interrupted = lines.some((text) =>
      /Cancelling test run|Test run cancelled|received SIG(?:INT|TERM)/i.test(text),
    )
    // Output but no summary at all: the run was killed before it could print one.
    if (interrupted || !lines.some((text) => /^\s*Tests\s/.test(text))) {
      cancelled.push(task)
      continue
    }
    for (const text of lines) {
      if (!/^\s*Tests\s/.test(text)) continue
      passed += Number(/(\d+) passed/.exec(text)?.[1] ?? 0)
      failed += Number(/(\d+) failed/.exec(text)?.[1] ?? 0)
    }
  }
  const tail =
    cancelled.length === 0 ? '' : `, ${cancelled.length} cancelled (${cancelled.sort().join(', ')})`
  // turbo's own tally: tasks neither successful nor failed were cancelled or never started.
  const clean = log.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '')
  const tally = /Tasks:\s+(\d+) successful, (\d+) total/.exec(clean)
  const failedTasks =
    /^Failed:\s+(.+)$/m
      .exec(clean)?.[1]
      ?.split(',')
      .filter((t) => t.trim() !== '').length ?? 0
  const notRun = tally ? Number(tally[2]) - Number(tally[1]) - failedTasks : 0
  const skipped = notRun > 0 ? `; ${notRun} turbo tasks did not finish after the first failure` : ''
  return { passed, failed, cancelled, line: `${passed} passed, ${failed} failed${tail}${skipped}` }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(countTests(readFileSync(/** @type {string} */ (process.argv[2]), 'utf8')).line)
}
