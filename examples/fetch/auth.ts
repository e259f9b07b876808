// Configuration: the OAuth client and the web handler, from the environment (Node, Deno and Bun alike).
import { env } from 'node:process'
import type { WebAuth } from '@workfront-oauth/core'
import { createWebAuth, createWorkfrontOAuth, encryptedStore, memoryStore } from '@workfront-oauth/core'

function required(name: string): string {
  const value = env[name]
  if (!value) throw new Error(`${name} is not set (the variables of Getting started: Node, step 2)`)
  return value
}

const publicUrl = env.PUBLIC_URL ?? 'http://127.0.0.1:3000'

export const auth: WebAuth = createWebAuth({
  oauth: createWorkfrontOAuth({
    clientId: required('WORKFRONT_CLIENT_ID'),
    clientSecret: required('WORKFRONT_CLIENT_SECRET'),
    redirectUri: `${publicUrl}/auth/callback`, // registered in Workfront exactly like this
    baseUrl: required('WORKFRONT_BASE_URL'), // https://<your org>.my.workfront.com
    // Tokens encrypted at rest. One process; for several, see "Running in production".
    store: encryptedStore(memoryStore(), { keys: [{ id: 'k1', key: required('TOKEN_ENCRYPTION_KEY') }] }),
  }),
  appOrigin: publicUrl,
  cookieSecrets: [required('SESSION_SECRET')],
})
