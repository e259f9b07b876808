import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Some tests run the examples as servers (Node, workerd, Redis, Chromium): room for a loaded machine,
    // and one file at a time.
    ...HANG_GUARD,
    fileParallelism: false,
  },
})
