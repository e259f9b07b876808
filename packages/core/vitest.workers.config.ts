import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

// The core's Web-standard suites again, inside workerd: proof that it runs unchanged on Workers.
export default defineConfig({
  plugins: [cloudflareTest({ miniflare: { compatibilityDate: '2026-04-01' } })],
  test: {
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #19).
    ...HANG_GUARD,
    include: [
      'src/client.test.ts',
      'src/machine.test.ts',
      'src/memory-store.test.ts',
      'src/encrypted-store.test.ts',
      'src/web/*.test.ts',
      'src/mock.e2e.test.ts',
      'src/user-refresh.test.ts',
      'src/timers.test.ts',
      'src/server.test.ts',
      'src/pkce-page.test.ts',
      'src/callback-without-state.test.ts',
      'src/jwt.test.ts',
      'src/api-versions.test.ts',
      'src/bounded-map.test.ts',
      'src/instrumentation.test.ts',
      'src/driver/*.test.ts',
      'src/*.workerd.test.ts',
    ],
  },
})
