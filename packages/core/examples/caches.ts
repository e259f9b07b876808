import { createWebFlow, createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'

const oauth = createWorkfrontOAuth({
  clientId: 'my-client-id',
  clientSecret: process.env.WORKFRONT_CLIENT_SECRET,
  redirectUri: 'https://app.example.com/auth/callback',
  baseUrl: 'https://acme.my.workfront.com',
  store: memoryStore(), // a shared store (Redis…) in production
  // Grants held in this process: at most 50 000, each served for at most 2 s without a store read.
  nearCache: { maxEntries: 50_000, maxAgeMs: 2_000 },
})

export const web = createWebFlow({
  oauth,
  appOrigin: 'https://app.example.com',
  cookieSecrets: [process.env.COOKIE_SECRET ?? ''],
  // Session cookies whose HMAC was checked, taken on trust for at most 10 minutes.
  verifiedCookieCache: { maxEntries: 50_000, maxAgeMs: 600_000 },
})
