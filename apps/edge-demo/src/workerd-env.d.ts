// Types of the Worker's own module for `exports` from "cloudflare:workers" (what `wrangler types` would
// generate): `exports.default` is the Worker's fetch handler.
declare namespace Cloudflare {
  interface Env {
    WORKFRONT_OAUTH_STORE: DurableObjectNamespace<
      import('@workfront-oauth/cloudflare-store').WorkfrontOAuthStore
    >
  }
  interface GlobalProps {
    mainModule: typeof import('./worker-dev.ts')
  }
}
