import { fileURLToPath } from 'node:url'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The README's example imports the package by name: the tests use its source, not a build that another
  // task may be rewriting.
  resolve: {
    alias: { '@workfront-oauth/opentelemetry': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['src/**/*.test.ts'],
    // Those run inside workerd: vitest.workers.config.ts.
    exclude: ['src/**/*.workerd.test.ts'],
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #19).
    ...HANG_GUARD,
  },
})
