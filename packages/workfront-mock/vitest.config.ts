import { fileURLToPath } from 'node:url'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: {
    // The README's examples import the package by name, as users do; tests run them against the source.
    alias: [
      {
        find: /^@workfront-oauth\/workfront-mock$/,
        replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['src/**/*.test.ts'],
    // Those run inside workerd: vitest.workers.config.ts.
    exclude: ['src/**/*.workerd.test.ts'],
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #19).
    ...HANG_GUARD,
  },
})
