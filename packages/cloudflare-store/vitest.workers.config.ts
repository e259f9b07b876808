import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

/**
 * The store inside workerd: `src/test/worker.ts` exports the Durable Object classes and the Worker that the
 * tests reach through `exports.default` (a request context of its own per call, as separate isolates
 * would reach the objects). Two projects, each its own workerd and storage: the tests of changes drop every
 * socket of the relay object, which must not reach the other tests' sockets.
 */
const worker = () =>
  cloudflareTest({
    main: './src/test/worker.ts',
    miniflare: {
      compatibilityDate: '2026-04-01',
      durableObjects: {
        STORE: { className: 'WorkfrontOAuthStore', useSQLite: true },
        BROKEN: { className: 'BrokenStore', useSQLite: true },
      },
    },
  })

export default defineConfig({
  test: {
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #19).
    ...HANG_GUARD,
    projects: [
      {
        extends: true,
        plugins: [worker()],
        test: {
          name: 'store',
          include: ['src/**/*.workerd.test.ts'],
          exclude: ['src/changes.workerd.test.ts'],
        },
      },
      {
        extends: true,
        plugins: [worker()],
        test: { name: 'changes', include: ['src/changes.workerd.test.ts'] },
      },
    ],
  },
})
