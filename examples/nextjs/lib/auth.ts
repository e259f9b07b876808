// Configuration: the OAuth client and the web handler, from the environment. Next.js loads this module in
// several bundles (route handlers, pages, the proxy), so the store is one they all reach: Redis.

import type { WebAuth } from '@workfront-oauth/core'
import { createWebAuth, createWorkfrontOAuth, encryptedStore } from '@workfront-oauth/core'
import { redisStore } from '@workfront-oauth/redis-store'
import { Redis } from 'ioredis'

function required(name: string): string {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set: copy .env.example to .env.local and fill it in`)
  return value
}

const publicUrl = process.env.PUBLIC_URL ?? 'http://127.0.0.1:3000'

export const auth: WebAuth = createWebAuth({
  oauth: createWorkfrontOAuth({
    clientId: required('WORKFRONT_CLIENT_ID'),
    clientSecret: required('WORKFRONT_CLIENT_SECRET'),
    redirectUri: `${publicUrl}/auth/callback`, // registered in Workfront exactly like this
    baseUrl: required('WORKFRONT_BASE_URL'), // https://<your org>.my.workfront.com
    store: encryptedStore(redisStore({ client: new Redis(required('REDIS_URL')) }), {
      keys: [{ id: 'k1', key: required('TOKEN_ENCRYPTION_KEY') }],
    }),
  }),
  appOrigin: publicUrl,
  cookieSecrets: [required('SESSION_SECRET')],
})
