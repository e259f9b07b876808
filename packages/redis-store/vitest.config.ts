import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    exclude: ['src/**/*.workerd.test.ts'],
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #19).
    ...HANG_GUARD,
  },
})
