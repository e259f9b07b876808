import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Those run inside workerd: vitest.workers.config.ts.
    exclude: ['src/**/*.workerd.test.ts'],
  },
})
