import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The smoke run starts Redis, the mock, servers and workerd: one file, generous but bounded.
    testTimeout: 280_000,
    hookTimeout: 30_000,
  },
})
