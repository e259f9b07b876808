/** The README's Worker that drives the core without the adapter: it hands the held writes to `waitUntil`. */
import type { WorkfrontOAuth } from '@workfront-oauth/core'
// A global with @cloudflare/workers-types; Hono's type has the same shape.
import type { ExecutionContext } from 'hono'

declare const oauth: WorkfrontOAuth
/** The app's own session lookup. */
declare function grantIdOf(request: Request): Promise<string>

// #region worker
export default {
  async fetch(request: Request, _env: unknown, ctx: ExecutionContext): Promise<Response> {
    try {
      return await oauth.fetch(await grantIdOf(request), 'proj/search?fields=status')
    } finally {
      // Rotated tokens the store refused during a refresh are written after the response: keep the
      // isolate until they are. null (the usual case) when nothing is pending.
      const pending = oauth.pendingWrites()
      if (pending !== null) ctx.waitUntil(pending)
    }
  },
}
// #endregion
