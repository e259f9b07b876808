import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.workerd.test.ts'],
    // Real servers on a shared 2-core machine: generous limits; no test asserts on elapsed time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
