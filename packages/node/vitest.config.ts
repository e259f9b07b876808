import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #12).
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
