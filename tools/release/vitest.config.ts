import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The rehearsal and the minimum-peers run each bound their own children with a deadline; these are
    // the steps' ceilings. One file at a time: both are heavy on 2 cores.
    testTimeout: 90_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
