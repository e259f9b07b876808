/**
 * @module The demo's Workfront mock, for mock mode: imported by the entries that offer it (Node, `pnpm demo`'s
 * Worker, the tests), never by the deployable Worker, which must not contain it.
 */
import type { WorkfrontMock } from '@workfront-oauth/workfront-mock'
import { createWorkfrontMock } from '@workfront-oauth/workfront-mock'
import type { DemoConfig } from './config.ts'

/**
 * A Workfront mock whose one OAuth2 app is the demo's: the configured client (by default `demo-client` /
 * `demo-secret`; without a secret a public PKCE app) with `PUBLIC_URL/auth/callback` as redirect URI.
 */
export function createDemoMock(config: DemoConfig): WorkfrontMock {
  return createWorkfrontMock({
    apps: [
      {
        clientId: config.clientId,
        name: 'Workfront OAuth demo',
        clientSecrets: config.clientSecret === undefined ? [] : [config.clientSecret],
        type: config.clientSecret === undefined ? 'spa' : 'web',
        redirectUris: [config.redirectUri],
        rotation: true,
      },
    ],
    showDemoCredentials: true,
    // Mounted in this app: Workfront's paths are reached at the demo's own host.
    acceptedHosts: [new URL(config.publicUrl).host],
  })
}
