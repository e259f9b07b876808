// A Worker without Hono: the app of "A fetch handler", its store a Durable Object.
import { durableObjectStore, WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'
import type { WebAuth } from '@workfront-oauth/core'
import { createWebAuth, createWorkfrontOAuth, encryptedStore } from '@workfront-oauth/core'
import { app } from '../../fetch/app.ts'

// The store's Durable Object class, exported by the Worker's main module (wrangler.jsonc binds it).
export { WorkfrontOAuthStore }

/** Bindings and `vars` of wrangler.jsonc, and secrets (`.dev.vars` locally, `wrangler secret put` deployed). */
export interface Env {
  WORKFRONT_OAUTH_STORE: DurableObjectNamespace<WorkfrontOAuthStore>
  PUBLIC_URL: string
  WORKFRONT_BASE_URL: string
  WORKFRONT_CLIENT_ID: string
  WORKFRONT_CLIENT_SECRET: string
  SESSION_SECRET: string
  TOKEN_ENCRYPTION_KEY: string
}

function createAuth(env: Env): WebAuth {
  const oauth = createWorkfrontOAuth({
    clientId: env.WORKFRONT_CLIENT_ID,
    clientSecret: env.WORKFRONT_CLIENT_SECRET,
    redirectUri: `${env.PUBLIC_URL}/auth/callback`,
    baseUrl: env.WORKFRONT_BASE_URL,
    // Shared by every isolate, one refresh per grant across all of them; tokens encrypted before they get there.
    store: encryptedStore(durableObjectStore({ namespace: env.WORKFRONT_OAUTH_STORE }), {
      keys: [{ id: 'k1', key: env.TOKEN_ENCRYPTION_KEY }],
    }),
  })
  return createWebAuth({ oauth, appOrigin: env.PUBLIC_URL, cookieSecrets: [env.SESSION_SECRET] })
}

let handler: ReturnType<WebAuth['serve']> | undefined

export default {
  fetch(request, env, ctx) {
    handler ??= createAuth(env).serve(app) // env arrives with each request; built once per isolate
    const clientAddress = request.headers.get('cf-connecting-ip') // set by Cloudflare, by nobody else
    return handler(request, { clientAddress, waitUntil: (promise) => ctx.waitUntil(promise) })
  },
} satisfies ExportedHandler<Env>
