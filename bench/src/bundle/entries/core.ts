/**
 * @module Bundle entry: `@workfront-oauth/core` for a code + refresh flow (sign-in, callback, a token that is
 * refreshed when needed), with the memory store.
 */
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'

export default function flow(clientSecret: string) {
  const oauth = createWorkfrontOAuth({
    clientId: 'app',
    clientSecret,
    redirectUri: 'https://app.example.com/auth/callback',
    baseUrl: 'https://acme.my.workfront.com',
    store: memoryStore(),
  })
  return {
    login: () => oauth.startLogin({ returnTo: '/' }),
    callback: (url: URL) => oauth.handleCallback(url),
    accessToken: (grantId: string) => oauth.getAccessToken(grantId),
  }
}
