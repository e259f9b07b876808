import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Real child processes, servers and Chromium on a shared 2-core machine: generous limits; no test
    // asserts on elapsed time.
    ...HANG_GUARD,
    // The end-to-end files each start processes by the dozen: one file at a time keeps the machine usable.
    fileParallelism: false,
  },
})
