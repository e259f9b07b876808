import { createWebAuth, createWorkfrontOAuth, encryptedStore, memoryStore } from '@workfront-oauth/core'

function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`Set ${name} (see the README)`)
  return value
}

const oauth = createWorkfrontOAuth({
  clientId: env('WORKFRONT_CLIENT_ID'),
  clientSecret: env('WORKFRONT_CLIENT_SECRET'),
  redirectUri: 'https://app.example.com/auth/callback',
  baseUrl: 'https://acme.my.workfront.com', // or multiTenant: { allowedHosts: [...] }
  // Tokens encrypted at rest with a 32-byte key (base64url) that you keep secret and stable. One process;
  // use @workfront-oauth/redis-store (or the Durable Object store on Workers) for more.
  store: encryptedStore(memoryStore(), { keys: [{ key: env('TOKEN_KEY') }] }),
})

// The sign-in routes (GET /auth/login, GET /auth/callback, POST /auth/logout), a signed session cookie that
// binds each sign-in to the browser that started it, and a guard for every other route.
const auth = createWebAuth({
  oauth,
  appOrigin: 'https://app.example.com',
  cookieSecrets: [env('SESSION_SECRET')], // at least 32 characters
  onSignIn: ({ user }) => console.log(`${user?.name ?? 'someone'} signed in`), // create your user row here
})

// A Web-standard fetch handler: export it from a Worker, or serve it with Deno.serve or Bun.serve.
export default {
  async fetch(request: Request): Promise<Response> {
    if (auth.handles(request.url)) return auth.handler(request)
    const { session, response } = await auth.guard(request) // signed out: to /auth/login?returnTo=…
    if (response) return response
    try {
      // Who signed in is kept with the grant; the API call refreshes the session once if Workfront rejects it.
      const projects = await session.client.search('proj', { fields: ['status'], limit: 50 })
      return Response.json({ user: session.user?.name, projects })
    } catch (error) {
      return auth.errorResponse(error, request) // the grant is gone: sign in again; else the error's page
    }
  },
}
