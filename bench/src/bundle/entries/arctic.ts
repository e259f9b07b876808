/**
 * @module Bundle entry: arctic's generic OAuth2 client for a code + refresh flow (PKCE, state, code grant,
 * refresh grant).
 */
import { CodeChallengeMethod, generateCodeVerifier, generateState, OAuth2Client } from 'arctic'

export default function flow(clientSecret: string) {
  const client = new OAuth2Client('app', clientSecret, 'https://app.example.com/auth/callback')
  return {
    login() {
      const verifier = generateCodeVerifier()
      const state = generateState()
      const url = client.createAuthorizationURLWithPKCE(
        'https://acme.my.workfront.com/authorize',
        state,
        CodeChallengeMethod.S256,
        verifier,
        [],
      )
      return { url, verifier, state }
    },
    callback: (code: string, verifier: string) =>
      client.validateAuthorizationCode('https://acme.my.workfront.com/token', code, verifier),
    refresh: (refreshToken: string) =>
      client.refreshAccessToken('https://acme.my.workfront.com/token', refreshToken, []),
  }
}
