/**
 * @module The deployable Worker (`wrangler deploy`): sessions in Durable Objects, a real Workfront. It
 * contains neither the Workfront mock nor a Redis client; `--env redis` builds `worker-redis.ts`, and
 * `pnpm demo` runs `worker-dev.ts` (`--env dev`) with the mock.
 */
import { createWorker } from './worker-app.ts'

export { WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'
export type { Env } from './worker-app.ts'

export default createWorker({ build: 'this Worker (src/worker.ts)' })
