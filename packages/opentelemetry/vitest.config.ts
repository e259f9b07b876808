import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Those run inside workerd: vitest.workers.config.ts.
    exclude: ['src/**/*.workerd.test.ts'],
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
