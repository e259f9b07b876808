import { cloudflareTest } from '@cloudflare/vitest-pool-workers'
import { ioredisWorkersPoolDeps } from '@workfront-oauth/redis-store/testing'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'
import { defineConfig } from 'vitest/config'

/**
 * The Worker of `pnpm demo` (wrangler.jsonc `--env dev`: main, compatibility date, nodejs_compat, the
 * Durable Object binding, vars) inside workerd, twice: with its default store, Durable Objects, and with
 * REDIS_URL pointing at a real redis-server that the global setup starts in Node. Each project has its own
 * Worker, so each reads its own configuration.
 */
const bindings = {
  SESSION_SECRET: 'a-session-secret-for-the-workerd-tests-0123456789',
  TOKEN_ENCRYPTION_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
}

export default defineConfig({
  test: {
    ...HANG_GUARD,
    projects: [
      {
        extends: true,
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './wrangler.jsonc', environment: 'dev' },
            miniflare: { bindings },
          }),
        ],
        test: {
          name: 'worker',
          include: [
            'src/worker.workerd.test.ts',
            'src/worker-app.workerd.test.ts',
            'src/worker-telemetry.workerd.test.ts',
          ],
        },
      },
      {
        extends: true,
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: './wrangler.jsonc', environment: 'dev' },
            miniflare: { bindings: { ...bindings, REDIS_URL: inject('redisUrl') } },
          })),
        ],
        test: {
          name: 'worker-redis',
          include: ['src/worker-redis.workerd.test.ts'],
          globalSetup: ['./src/test/redis-global-setup.ts'],
          // ioredis must be pre-bundled for the workers pool, or its debug helper overflows the stack.
          deps: ioredisWorkersPoolDeps,
        },
      },
    ],
  },
})
