import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

// The same instrumentation inside workerd, with the core's in-memory components and the Workfront mock.
export default defineConfig({
  plugins: [cloudflareTest({ miniflare: { compatibilityDate: '2026-04-01' } })],
  test: {
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #19).
    ...HANG_GUARD,
    include: ['src/**/*.workerd.test.ts'],
  },
})
