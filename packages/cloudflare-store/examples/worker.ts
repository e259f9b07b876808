import { durableObjectStore, WorkfrontOAuthStore } from '@workfront-oauth/cloudflare-store'
import { createWorkfrontOAuth, isWorkfrontOAuthError, type WorkfrontOAuth } from '@workfront-oauth/core'

// The Durable Object class must be exported by the Worker's main module (wrangler.jsonc binds it).
export { WorkfrontOAuthStore }

interface Env {
  WORKFRONT_OAUTH_STORE: DurableObjectNamespace<WorkfrontOAuthStore>
  WORKFRONT_CLIENT_ID: string
  WORKFRONT_CLIENT_SECRET: string
}

// One client per isolate, built on its first request (env comes with it): its near cache of grants serves
// the next requests without a storage read, and hears of every sign-out and refresh in other isolates.
let client: WorkfrontOAuth | undefined

function oauthFor(env: Env): WorkfrontOAuth {
  client ??= createWorkfrontOAuth({
    clientId: env.WORKFRONT_CLIENT_ID,
    clientSecret: env.WORKFRONT_CLIENT_SECRET,
    redirectUri: 'https://app.example.com/auth/callback',
    baseUrl: 'https://acme.my.workfront.com',
    store: durableObjectStore({ namespace: env.WORKFRONT_OAUTH_STORE }),
  })
  return client
}

export default {
  async fetch(request, env): Promise<Response> {
    const oauth = oauthFor(env)
    const url = new URL(request.url)
    try {
      if (url.pathname === '/auth/login') {
        const { url: authorize } = await oauth.startLogin()
        return Response.redirect(authorize, 302)
      }
      if (url.pathname === '/auth/callback') {
        const { grant } = await oauth.handleCallback(url)
        return new Response(`Signed in; keep the grant id ${grant.id} in a signed cookie`)
      }
      const grantId = url.searchParams.get('grant')
      if (grantId === null) return new Response('Not found', { status: 404 })
      // One refresh per expiry across every isolate: the grant's object holds its lock and its waiters.
      return await oauth.fetch(grantId, 'proj/search')
    } catch (error) {
      if (isWorkfrontOAuthError(error, 'store_unavailable')) {
        return new Response('Sessions are unavailable, try again', { status: 503 })
      }
      throw error
    }
  },
} satisfies ExportedHandler<Env>
