import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'
import { ioredisWorkersPoolDeps } from './src/testing.ts'

/**
 * The store inside workerd (nodejs_compat), talking to a real redis-server that the global setup starts
 * in Node. ioredis must be pre-bundled for the workers pool, or its debug helper overflows the stack.
 */
export default defineConfig({
  plugins: [
    cloudflareTest({
      miniflare: { compatibilityDate: '2026-04-01', compatibilityFlags: ['nodejs_compat'] },
    }),
  ],
  test: {
    include: ['src/**/*.workerd.test.ts'],
    globalSetup: ['./src/test/workerd-global-setup.ts'],
    ...HANG_GUARD,
    deps: ioredisWorkersPoolDeps,
  },
})
