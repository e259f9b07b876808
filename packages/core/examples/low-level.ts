import {
  createWorkfrontClient,
  createWorkfrontOAuth,
  encryptedStore,
  memoryStore,
} from '@workfront-oauth/core'

// Tokens are encrypted at rest with a 32-byte key (base64url) that you keep secret and stable; make one with
//   node -e "console.log(require('node:crypto').randomBytes(32).toString('base64url'))"
// and start the app with TOKEN_KEY=<that value>.
const tokenKey = process.env.TOKEN_KEY
if (!tokenKey) throw new Error('Set TOKEN_KEY to 32 random bytes, base64url-encoded (see above)')

const oauth = createWorkfrontOAuth({
  clientId: 'my-client-id',
  clientSecret: process.env.WORKFRONT_CLIENT_SECRET, // absent: single-page-app type, PKCE
  redirectUri: 'https://app.example.com/auth/callback',
  baseUrl: 'https://acme.my.workfront.com', // or multiTenant: { allowedHosts: [...] }
  store: encryptedStore(memoryStore(), { keys: [{ key: tokenKey }] }),
})

// 1. Send the user to Workfront. In a browser, pass browserBinding (a random value you also keep in a cookie
//    of that browser) here and at the callback: without it, nothing stops a login CSRF.
export async function login(browserBinding: string): Promise<Response> {
  const { url } = await oauth.startLogin({ returnTo: '/projects', browserBinding })
  return Response.redirect(url, 302)
}

// 2. Back at redirectUri?code=…&domain=…&lane=…&state=…: exchange the code, keep the grant id.
export async function callback(request: Request, browserBinding: string): Promise<string> {
  const { grant } = await oauth.handleCallback(new URL(request.url), { browserBinding })
  return grant.id // grant.user: who signed in ({ userID, name, username, emailAddr })
}

// 3. Call the API; the session is refreshed (once, whatever the concurrency) when Workfront rejects it.
export async function currentProjects(grantId: string) {
  const workfront = createWorkfrontClient(oauth, grantId)
  return workfront.search('proj', { fields: ['status'], filters: { status: 'CUR' }, limit: 50 })
}

// 4. Sign out: ends the Workfront session (best effort) and deletes the grant.
export async function logout(grantId: string): Promise<void> {
  await oauth.logout(grantId)
}
