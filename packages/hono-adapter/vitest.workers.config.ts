import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { defineConfig } from 'vitest/config'

// The adapter's suite again, inside workerd: the same routes, cookies and refresh coordination on the
// runtime Cloudflare Workers use.
export default defineConfig({
  plugins: [cloudflareTest({ miniflare: { compatibilityDate: '2026-04-01' } })],
  test: {
    // Hang guards, not deadlines: a loaded 2-core machine makes tests slower, never red (issue #12).
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/index.test.ts', 'src/*.workerd.test.ts'],
  },
})
