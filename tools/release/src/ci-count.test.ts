/**
 * `.ci/run`'s closing line (`.ci/count-tests.mjs`): vitest's counts summed per turbo task, and a task turbo
 * cancelled after another failed named as cancelled, not counted as failed (issue #12, finding 12).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const SCRIPT = fileURLToPath(new URL('../../../.ci/count-tests.mjs', import.meta.url))

function closingLine(log: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ci-count-'))
  try {
    writeFileSync(join(dir, 'log'), log)
    return execFileSync(process.execPath, [SCRIPT, join(dir, 'log')], { encoding: 'utf8' }).trim()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const task = (name: string, ...lines: string[]): string => lines.map((l) => `${name}:test: ${l}`).join('\n')

it('sums the Tests lines of every task, ANSI colours and all', () => {
  const log = [
    task(
      '@workfront-oauth/core',
      '\x1b[2m      Tests \x1b[22m \x1b[1m\x1b[32m697 passed\x1b[39m\x1b[22m (697)',
    ),
    task('@workfront-oauth/core', '      Tests  405 passed (405)'),
    task('edge-demo', '      Tests  1 failed | 76 passed (77)'),
    '@workfront-oauth/core:build: Tests  99 passed (99)',
  ].join('\n')
  expect(closingLine(log)).toBe('1178 passed, 1 failed')
})

it('does not count a task cancelled after another failed as failed: it is named', () => {
  const log = [
    task('@workfront-oauth/redis-store', '      Tests  1 failed | 40 passed (41)'),
    task(
      '@workfront-oauth/core',
      ' Cancelling test run. Press CTRL+c again to exit forcefully.',
      '      Tests  3 failed | 200 passed (700)',
    ),
    task('edge-demo', 'received SIGTERM', '      Tests  5 failed (5)'),
    task('@workfront-oauth/hono-adapter', '      Tests  61 passed (61)'),
    // Killed before its summary: no line says so, the missing summary does.
    task('@workfront-oauth/cli', ' RUN  v4.1.12 /work/packages/cli', ' ✓ src/config.test.ts (12 tests) 40ms'),
    ' Tasks:    18 successful, 32 total',
    'Failed:    @workfront-oauth/redis-store#test',
  ].join('\n')
  expect(closingLine(log)).toBe(
    '101 passed, 1 failed, 3 cancelled (@workfront-oauth/cli, @workfront-oauth/core, edge-demo); 13 turbo tasks did not finish after the first failure',
  )
})
