/**
 * @module Bundle entry: openid-client for a code + refresh flow (authorization URL with PKCE and state, code
 * grant, refresh grant) with a static configuration: no discovery, no ID token features.
 */
import {
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  ClientSecretPost,
  Configuration,
  calculatePKCECodeChallenge,
  customFetch,
  randomPKCECodeVerifier,
  randomState,
  refreshTokenGrant,
} from 'openid-client'

export default function flow(clientSecret: string, fetcher: typeof fetch, insecure: boolean) {
  const config = new Configuration(
    { issuer: 'https://acme.my.workfront.com', token_endpoint: 'https://acme.my.workfront.com/token' },
    'app',
    undefined,
    ClientSecretPost(clientSecret),
  )
  config[customFetch] = (url, options) => fetcher(url, options as RequestInit)
  if (insecure) allowInsecureRequests(config)
  return {
    async login() {
      const verifier = randomPKCECodeVerifier()
      const state = randomState()
      const url = buildAuthorizationUrl(config, {
        redirect_uri: 'https://app.example.com/auth/callback',
        code_challenge: await calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      })
      return { url, verifier, state }
    },
    callback: (url: URL, verifier: string, state: string) =>
      authorizationCodeGrant(config, url, { pkceCodeVerifier: verifier, expectedState: state }),
    refresh: (refreshToken: string) => refreshTokenGrant(config, refreshToken),
  }
}
