#!/usr/bin/env node
/**
 * @module
 * Runs the Workfront mock as a local HTTP server (the demo's default Workfront):
 * `PORT` (default 4010), bound to 127.0.0.1, admin knobs on under `/__mock`. `WORKFRONT_MOCK_REDIRECT_URIS`
 * (comma-separated absolute URLs) registers more redirect URIs for both demo apps, e.g. an app on port 3000.
 * An injected `reset` or `dropAfterRotate` failure destroys the client's socket.
 */
import process from 'node:process'
import { type HttpBindings, serve } from '@hono/node-server'
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_SPA_APP,
  DEMO_USER,
  DEMO_WEB_APP,
  isMockConnectionReset,
} from './index'
import { defaultApps } from './seed'

const HOSTNAME = '127.0.0.1'
const ADMIN_PATH = '/__mock'

function readPort(): number {
  const raw = process.env.PORT ?? '4010'
  const port = Number(raw)
  if (!/^\d+$/.test(raw) || port < 1 || port > 65_535) {
    console.error(`workfront-mock: PORT must be an integer between 1 and 65535, got ${JSON.stringify(raw)}`)
    process.exit(1)
  }
  return port
}

/** Extra redirect URIs for the demo apps: an app on another port or host than the demo's 8787. */
function readRedirectURIs(): string[] {
  const raw = process.env.WORKFRONT_MOCK_REDIRECT_URIS ?? ''
  const uris = raw
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '')
  for (const uri of uris) {
    let url: URL | undefined
    try {
      url = new URL(uri)
    } catch {}
    // Workfront matches redirect URIs exactly; a fragment can never come back in a redirect.
    if (!url || !/^https?:$/.test(url.protocol) || url.hash || url.href !== uri) {
      console.error(
        `workfront-mock: WORKFRONT_MOCK_REDIRECT_URIS: ${JSON.stringify(uri)} is not an absolute http(s) URL ` +
          'written in its normal form (e.g. http://127.0.0.1:3000/auth/callback)',
      )
      process.exit(1)
    }
  }
  return uris
}

const extraRedirectURIs = readRedirectURIs()
const mock = createWorkfrontMock({
  // The browser apps (web, spa) get the extra redirect URIs; the machine-to-machine app has none.
  apps: defaultApps().map((app) =>
    app.type === 'm2m' ? app : { ...app, redirectUris: [...app.redirectUris, ...extraRedirectURIs] },
  ),
  admin: { enabled: true, path: ADMIN_PATH },
  showDemoCredentials: true,
})

const server = serve(
  {
    hostname: HOSTNAME,
    port: readPort(),
    async fetch(request, env) {
      try {
        return await mock.fetch(request)
      } catch (error) {
        if (!isMockConnectionReset(error))
          throw error
          // What the client must see is a connection that dies without a response.
        ;(env as HttpBindings).incoming.socket.destroy()
        return new Response(null, { status: 500 })
      }
    },
  },
  (info) => {
    const origin = `http://${HOSTNAME}:${info.port}`
    console.log(
      [
        `Workfront mock (tenant ${mock.host}) listening on ${origin}`,
        `  authorize  ${origin}/integrations/oauth2/authorize`,
        `  token      ${origin}/integrations/oauth2/api/v1/token`,
        `  JWT        ${origin}/integrations/oauth2/api/v1/jwt/exchange`,
        `  API        ${origin}/attask/api/v21.0/session`,
        `  admin      ${origin}${ADMIN_PATH}/counters`,
        'Demo credentials (mock only, not secret):',
        `  web app    client_id=${DEMO_WEB_APP.clientId} client_secret=${DEMO_WEB_APP.clientSecrets[0]} redirect_uri=${DEMO_WEB_APP.redirectUris[0]}`,
        `  spa app    client_id=${DEMO_SPA_APP.clientId} redirect_uri=${DEMO_SPA_APP.redirectUris[0]} (PKCE S256)`,
        `  m2m app    client_id=${DEMO_M2M_APP.clientId} client_secret=${DEMO_M2M_APP.clientSecrets[0]} iss=${DEMO_CUSTOMER_ID} (JWT, DEMO_M2M_PRIVATE_KEY)`,
        ...(extraRedirectURIs.length > 0
          ? [`  redirects  also ${extraRedirectURIs.join(', ')} (WORKFRONT_MOCK_REDIRECT_URIS)`]
          : []),
        `  user       ${DEMO_USER.username} / ${DEMO_USER.password}`,
      ].join('\n'),
    )
  },
)

function shutdown(): void {
  server.close(() => process.exit(0))
  // Keep-alive connections would hold close() open; the mock has nothing to flush.
  setTimeout(() => process.exit(0), 1_000).unref()
}
process.once('SIGINT', shutdown)
process.once('SIGTERM', shutdown)
