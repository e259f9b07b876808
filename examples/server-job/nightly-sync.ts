/**
 * A nightly job: as the Workfront user who registered the key, read the current projects and print a line
 * per project. No browser, no refresh token: Workfront's Machine to Machine (JWT) flow.
 *
 *   WORKFRONT_BASE_URL=https://acme.my.workfront.com WORKFRONT_CLIENT_ID=… WORKFRONT_CLIENT_SECRET=… \
 *   WORKFRONT_CUSTOMER_ID=… WORKFRONT_USER_ID=… WORKFRONT_PRIVATE_KEY_FILE=./private.pem \
 *   node --experimental-strip-types server-job/nightly-sync.ts
 */
import { readFile } from 'node:fs/promises'
import process from 'node:process'
import { memoryStore } from '@workfront-oauth/core'
import { createWorkfrontServerAuth } from '@workfront-oauth/core/server'

export async function nightlySync(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const read = (name: string): string => {
    const value = env[name]
    if (!value) throw new Error(`${name} is not set`)
    return value
  }
  const workfront = createWorkfrontServerAuth({
    baseUrl: read('WORKFRONT_BASE_URL'),
    clientId: read('WORKFRONT_CLIENT_ID'),
    clientSecret: read('WORKFRONT_CLIENT_SECRET'),
    customerId: read('WORKFRONT_CUSTOMER_ID'),
    userId: read('WORKFRONT_USER_ID'),
    privateKey: await readFile(read('WORKFRONT_PRIVATE_KEY_FILE'), 'utf8'),
    // One process. Several workers sharing one session: redisStore({ client }) from @workfront-oauth/redis-store.
    store: memoryStore(),
    // Stay under the org's concurrent-request limit, and wait out a 429 as Workfront asks.
    apiLimits: { maxConcurrent: 4, retries: 3 },
  })
  try {
    const projects = await workfront.client.search('proj', {
      fields: ['status', 'percentComplete'],
      filters: { status: 'CUR' },
      limit: 2000,
      sort: 'name',
    })
    return projects.map((p) => `${p.name}: ${p.percentComplete}%`)
  } finally {
    // Ends the Workfront session now rather than at its idle timeout. There is no token to revoke.
    await workfront.logout()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of await nightlySync()) console.log(line)
}
