import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

// The same instrumentation inside workerd, with the core's in-memory components and the Workfront mock.
export default defineConfig({
  plugins: [cloudflareTest({ miniflare: { compatibilityDate: '2026-04-01' } })],
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/**/*.workerd.test.ts'],
  },
})
