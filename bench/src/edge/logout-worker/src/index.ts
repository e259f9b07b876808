/**
 * @module The Worker of the logout benchmark (`../logout.ts`): two copies run as two Workers — two isolates —
 * on one Durable Object namespace (or one Redis). Each copy signs in through a Workfront mock of its own
 * (automatic consent); the other copy never needs it, since reading an access token calls no API.
 *
 * - `POST /signin` → `{ grantId }`
 * - `GET /token?grant=<id>` → 200 `{ ok: true }`, or 401 `{ error }` once the grant is refused
 * - `POST /logout?grant=<id>` → `{ loggedOut: true }`
 *
 * `STORE` picks the store: `durable-object` (changes told to every isolate), `durable-object-no-changes`
 * (the near cache's maximum age is the bound), or `redis` (`REDIS_URL`; a connection and a client per
 * request, as the demo does on Workers, so no near cache outlives a request).
 */
import { durableObjectStore, WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'
import { isWorkfrontOAuthError, type StoragePort, type WorkfrontOAuth } from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { Redis } from 'ioredis'
import { benchOAuth, createBenchMock } from '../../../lib/bench-mock.ts'

export { WorkfrontOAuthStore }

interface Env {
  STORE: 'durable-object' | 'durable-object-no-changes' | 'redis'
  WORKFRONT_OAUTH_STORE: DurableObjectNamespace<WorkfrontOAuthStore>
  REDIS_URL?: string
}

const mock = createBenchMock()

function client(store: StoragePort, perRequest: boolean): WorkfrontOAuth {
  return benchOAuth(mock, store, {
    // The near cache as an app keeps it: its default maximum age, or none for a client of one request.
    ...(perRequest ? { nearCache: false as const } : {}),
  })
}

/** The isolate's one client, on the Durable Object store. */
let isolateClient: WorkfrontOAuth | undefined

async function serve(oauth: WorkfrontOAuth, url: URL, method: string): Promise<Response> {
  const grantId = url.searchParams.get('grant') ?? ''
  if (method === 'POST' && url.pathname === '/signin') {
    const { url: authorize } = await oauth.startLogin()
    const callback = (await mock.fetch(new Request(authorize))).headers.get('location')
    if (!callback) return Response.json({ error: 'no callback' }, { status: 500 })
    return Response.json({ grantId: (await oauth.handleCallback(new URL(callback))).grant.id })
  }
  if (method === 'POST' && url.pathname === '/logout') {
    await oauth.logout(grantId)
    return Response.json({ loggedOut: true })
  }
  if (url.pathname === '/token') {
    try {
      await oauth.getAccessToken(grantId)
      return Response.json({ ok: true })
    } catch (error) {
      if (!isWorkfrontOAuthError(error)) throw error
      return Response.json({ error: error.code }, { status: 401 })
    }
  }
  return new Response('not found', { status: 404 })
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url)
    if (env.STORE !== 'redis') {
      isolateClient ??= client(
        durableObjectStore({
          namespace: env.WORKFRONT_OAUTH_STORE,
          ...(env.STORE === 'durable-object-no-changes' ? { changes: false } : {}),
        }),
        false,
      )
      return serve(isolateClient, url, request.method)
    }
    // workerd ties a socket to the request that opened it: a connection, a store and a client per request.
    const connection = new Redis(env.REDIS_URL as string, { maxRetriesPerRequest: 1, connectTimeout: 5000 })
    const store = redisStore({ client: connection, keyPrefix: 'bench-logout:', checkEvictionPolicy: false })
    try {
      return await serve(client(store, true), url, request.method)
    } finally {
      ctx.waitUntil(store.close().then(() => connection.quit().then(() => undefined)))
    }
  },
} satisfies ExportedHandler<Env>
