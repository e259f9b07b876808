import { serve } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import { createClientAddressResolver } from '@workfront-oauth/core/adapters'
import { workfrontAuth } from '@workfront-oauth/hono-adapter'
import { Hono } from 'hono'

function env(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env and fill it in`)
  return value
}

const publicUrl = env('PUBLIC_URL') // https://app.example.com: the proxy's address

// One proxy in front of the app (here nginx on the same host), which appends the address it saw to
// X-Forwarded-For; the app is reachable only through it. Or name the proxies: { proxies: ['10.0.0.0/8'] }.
const clientAddress = createClientAddressResolver({ hops: 1 })

const auth = workfrontAuth({
  oauth: createWorkfrontOAuth({
    clientId: env('WORKFRONT_CLIENT_ID'),
    clientSecret: env('WORKFRONT_CLIENT_SECRET'),
    redirectUri: `${publicUrl}/auth/callback`,
    baseUrl: env('WORKFRONT_BASE_URL'),
    store: memoryStore(),
  }),
  appOrigin: publicUrl,
  cookieSecrets: [env('SESSION_SECRET')],
  // 10 sign-ins at once, then one every 6 seconds, per client address (not per proxy).
  clientAddress: (c) => clientAddress(c.req.raw, getConnInfo(c).remote.address),
})

const app = new Hono()
app.onError(auth.onError)
app.route('/auth', auth.routes())

// Loopback only: nothing but the proxy on this host can connect.
export const server = serve({
  fetch: app.fetch,
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
})
