/** scripts/build-progress.mjs (the first step of `pnpm demo` and `pnpm demo:multi`): which turbo lines are progress. */
import { describe, expect, it } from 'vitest'
import { parseTurboLine } from '../../scripts/build-progress.mjs'

describe('parseTurboLine', () => {
  it('reports a package as building when turbo starts its task, and as cached on a hit', () => {
    expect(parseTurboLine('@workfront-oauth/core:build: cache miss, executing ac7dcccf809f8fa4')).toEqual({
      type: 'building',
      name: '@workfront-oauth/core',
    })
    expect(parseTurboLine('edge-demo:build: cache bypass, force executing 5350bcb54a189832')).toEqual({
      type: 'building',
      name: 'edge-demo',
    })
    expect(
      parseTurboLine(
        '\u001b[33m@workfront-oauth/workfront-mock:build: cache hit, replaying logs 5350bcb5\u001b[0m',
      ),
    ).toEqual({ type: 'cached', name: '@workfront-oauth/workfront-mock' })
  })

  it('ignores the tools’ own output and turbo’s headers', () => {
    for (const line of [
      '@workfront-oauth/core:build: $ tsdown',
      '@workfront-oauth/core:build: ℹ dist/index.js 0.51 kB │ gzip: 0.27 kB',
      '   • Packages in scope: @workfront-oauth/core, edge-demo',
      ' Tasks:    5 successful, 5 total',
    ]) {
      expect(parseTurboLine(line)).toBeNull()
    }
  })
})
