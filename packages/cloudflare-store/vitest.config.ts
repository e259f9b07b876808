import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    ...HANG_GUARD,
    include: ['src/**/*.test.ts'],
    // Those run inside workerd: vitest.workers.config.ts.
    exclude: ['src/**/*.workerd.test.ts'],
  },
})
