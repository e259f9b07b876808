/**
 * @module The Worker of `pnpm demo` and the tests (`wrangler dev --env dev`): everything the others have,
 * plus the Workfront mock when no Workfront is configured. Not for deployment.
 */
import { createDemoMock } from './mock.ts'
import { createWorker } from './worker-app.ts'
import { consoleWorkerTelemetry } from './worker-telemetry.ts'

export { WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'

export default createWorker({
  build: 'this Worker (src/worker-dev.ts)',
  createMock: createDemoMock,
  telemetry: () => consoleWorkerTelemetry(),
  // Loaded on the first request with REDIS_URL (the tests' workers pool needs ioredis pre-bundled).
  connectRedis: async (url) => (await import('./worker-redis-store.ts')).connectRedis(url),
})
