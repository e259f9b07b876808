import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // The smoke run starts Redis, the mock, servers and workerd: one file, generous but bounded.
    ...HANG_GUARD,
  },
})
