import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Those run inside workerd: vitest.workers.config.ts.
    exclude: ['src/**/*.workerd.test.ts'],
    // Real processes (wrangler/workerd, Chromium, redis-server, Node instances) on a small shared machine.
    ...HANG_GUARD,
    // The browser test and the multi-instance test each start several processes: one file at a time.
    fileParallelism: false,
  },
})
