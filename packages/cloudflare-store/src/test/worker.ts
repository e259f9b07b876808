/**
 * The Worker of the workerd tests (`vitest.workers.config.ts` `main`): it exports the store's Durable
 * Object, a broken one, and a fetch handler that serves one authenticated Workfront call per request with a
 * client and a store built for that request alone — what a request landing on a fresh isolate does. Under
 * `/isolate/<name>/…` it serves instead the long-lived client of one named "isolate": its own store and
 * near cache, kept across requests, as each isolate of a deployment keeps its own.
 */

import { DurableObject } from 'cloudflare:workers'
import { createWorkfrontOAuth, isWorkfrontOAuthError, type WorkfrontOAuth } from '@workfront-oauth/core'
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import type { WorkfrontOAuthStore } from '../object.ts'
import { type DurableObjectStore, durableObjectStore } from '../store.ts'

export { WorkfrontOAuthStore } from '../object.ts'

export interface TestEnv {
  STORE: DurableObjectNamespace<WorkfrontOAuthStore>
  BROKEN: DurableObjectNamespace<BrokenStore>
}

/** Text that must never reach an error message of the store. */
export const SECRET_IN_OBJECT_ERROR = 'refresh-token-that-must-not-leak'

/**
 * A store object that fails: every method throws an error carrying secret-looking text, except for keys
 * containing `silent`, which it never answers.
 */
export class BrokenStore extends DurableObject {
  #fail(key: string): Promise<never> {
    if (key.includes('silent')) return new Promise<never>(() => {})
    throw new Error(`storage exploded near ${SECRET_IN_OBJECT_ERROR}`)
  }
  get(key: string): Promise<never> {
    return this.#fail(key)
  }
  set(key: string): Promise<never> {
    return this.#fail(key)
  }
  take(key: string): Promise<never> {
    return this.#fail(key)
  }
  getVersioned(key: string): Promise<never> {
    return this.#fail(key)
  }
  compareAndSet(key: string): Promise<never> {
    return this.#fail(key)
  }
  acquireLock(key: string): Promise<never> {
    return this.#fail(key)
  }
  waitForUnlock(key: string): Promise<never> {
    return this.#fail(key)
  }
}

/** What the storm requests talk to: set by the test before it sends them. */
export interface StormSetup {
  mock: WorkfrontMock
  baseUrl: string
  clientId: string
  clientSecret: string
  redirectUri: string
}

declare global {
  namespace Cloudflare {
    interface Env extends TestEnv {}
    interface GlobalProps {
      mainModule: typeof import('./worker.ts')
    }
  }
}

let storm: StormSetup | undefined

export function setUpStorm(setup: StormSetup): void {
  storm = setup
}

/** The near caches of the isolates keep a grant this long: only a told change can explain a refusal. */
const ISOLATE_MAX_AGE_MS = 600_000

interface Isolate {
  oauth: WorkfrontOAuth
  store: DurableObjectStore
}

const isolates = new Map<string, Isolate>()

/** Closes the stores of every named isolate (their listeners leave the isolate's socket) and forgets them. */
export async function closeIsolates(): Promise<void> {
  const open = [...isolates.values()]
  isolates.clear()
  await Promise.all(open.map(({ store }) => store.close()))
}

/**
 * `/isolate/<name>/token?grant=<id>` answers `{ accessToken }` or `{ error }`; `/isolate/<name>/logout?grant=<id>`
 * signs the grant out. `<name>` ending in `-nochanges` builds its store with `changes: false`.
 */
async function serveIsolate(name: string, action: string, grantId: string, env: TestEnv): Promise<Response> {
  const { mock, ...client } = storm as StormSetup
  let isolate = isolates.get(name)
  if (!isolate) {
    const store = durableObjectStore({
      namespace: env.STORE,
      operationTimeoutMs: 60_000,
      ...(name.endsWith('-nochanges') ? { changes: false } : {}),
    })
    const oauth = createWorkfrontOAuth({
      ...client,
      store,
      http: (input, init) => mock.fetch(new Request(input, init)),
      nearCache: { maxAgeMs: ISOLATE_MAX_AGE_MS },
    })
    isolate = { oauth, store }
    isolates.set(name, isolate)
  }
  try {
    if (action === 'logout') {
      await isolate.oauth.logout(grantId)
      return Response.json({ loggedOut: true })
    }
    return Response.json({ accessToken: (await isolate.oauth.getAccessToken(grantId)).accessToken })
  } catch (error) {
    return Response.json({ error: isWorkfrontOAuthError(error) ? error.code : String(error) })
  }
}

export default {
  /** `GET /api?grant=<id>`: one `oauth.fetch(grant, 'proj/search')`; answers its status or error code. */
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url)
    const grantId = url.searchParams.get('grant')
    if (!storm || !grantId) return new Response('not set up', { status: 400 })
    const [, root, name, action] = url.pathname.split('/')
    if (root === 'isolate' && name && action) return serveIsolate(name, action, grantId, env)
    const { mock, ...client } = storm
    const oauth = createWorkfrontOAuth({
      ...client,
      // Patient: a loaded test machine can hold a call for seconds.
      store: durableObjectStore({ namespace: env.STORE, operationTimeoutMs: 60_000 }),
      http: (input, init) => mock.fetch(new Request(input, init)),
    })
    try {
      const response = await oauth.fetch(grantId, 'proj/search')
      await response.body?.cancel()
      return Response.json({ status: response.status })
    } catch (error) {
      return Response.json({ error: isWorkfrontOAuthError(error) ? error.code : String(error) })
    }
  },
} satisfies ExportedHandler<TestEnv>
