/**
 * @module The Worker with Redis (`wrangler deploy --env redis`): sessions in Redis when `REDIS_URL` is set,
 * in Durable Objects otherwise. No Workfront mock.
 */
import { createWorker } from './worker-app.ts'
import { connectRedis } from './worker-redis-store.ts'
import { consoleWorkerTelemetry } from './worker-telemetry.ts'

export { WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'

export default createWorker({
  build: 'this Worker (src/worker-redis.ts)',
  connectRedis,
  telemetry: () => consoleWorkerTelemetry(),
})
