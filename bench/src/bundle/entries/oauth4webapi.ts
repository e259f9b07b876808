/**
 * @module Bundle entry: oauth4webapi for a code + refresh flow (PKCE, state, code grant, refresh grant).
 */
import {
  type AuthorizationServer,
  authorizationCodeGrantRequest,
  type Client,
  ClientSecretPost,
  calculatePKCECodeChallenge,
  generateRandomCodeVerifier,
  generateRandomState,
  processAuthorizationCodeResponse,
  processRefreshTokenResponse,
  refreshTokenGrantRequest,
  validateAuthResponse,
} from 'oauth4webapi'

const as: AuthorizationServer = {
  issuer: 'https://acme.my.workfront.com',
  authorization_endpoint: 'https://acme.my.workfront.com/authorize',
  token_endpoint: 'https://acme.my.workfront.com/token',
}
const client: Client = { client_id: 'app' }
const redirectUri = 'https://app.example.com/auth/callback'

export default function flow(clientSecret: string) {
  const auth = ClientSecretPost(clientSecret)
  return {
    async login() {
      const verifier = generateRandomCodeVerifier()
      const state = generateRandomState()
      const url = new URL(as.authorization_endpoint as string)
      url.searchParams.set('client_id', client.client_id)
      url.searchParams.set('redirect_uri', redirectUri)
      url.searchParams.set('response_type', 'code')
      url.searchParams.set('code_challenge', await calculatePKCECodeChallenge(verifier))
      url.searchParams.set('code_challenge_method', 'S256')
      url.searchParams.set('state', state)
      return { url, verifier, state }
    },
    async callback(url: URL, verifier: string, state: string) {
      const params = validateAuthResponse(as, client, url, state)
      const response = await authorizationCodeGrantRequest(as, client, auth, params, redirectUri, verifier)
      return processAuthorizationCodeResponse(as, client, response)
    },
    async refresh(refreshToken: string) {
      const response = await refreshTokenGrantRequest(as, client, auth, refreshToken)
      return processRefreshTokenResponse(as, client, response)
    },
  }
}
