import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Some tests run the examples as servers (Node, workerd, Redis): room for a loaded machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
