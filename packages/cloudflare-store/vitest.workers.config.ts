import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

/**
 * The store inside workerd: `src/test/worker.ts` exports the Durable Object classes and the Worker that the
 * tests reach through `exports.default` (a request context of its own per call, as separate isolates
 * would reach the objects).
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      main: './src/test/worker.ts',
      miniflare: {
        compatibilityDate: '2026-04-01',
        durableObjects: {
          STORE: { className: 'WorkfrontOAuthStore', useSQLite: true },
          BROKEN: { className: 'BrokenStore', useSQLite: true },
        },
      },
    }),
  ],
  test: {
    include: ['src/**/*.workerd.test.ts'],
    // A shared 2-core machine: generous limits; no test asserts on elapsed time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
