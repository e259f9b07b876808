import { createWorkfrontClient } from '@workfront-oauth/core'
import type { Context } from '../context.ts'
import { emit } from '../output.ts'

/**
 * Prints a session ID that Workfront accepts now. Workfront sends `expires_in: 0` (the lifetime is unknown),
 * so the session is checked with `GET session`; a rejected one is refreshed — once across every process
 * asking at the same moment, through the store's lock — and the new one printed.
 */
export async function token(ctx: Context, flags: { check: boolean }): Promise<void> {
  const profile = await ctx.requireSignedIn()
  const oauth = await ctx.oauth(profile)
  if (flags.check) await createWorkfrontClient(oauth, profile.grantId).session()
  const current = await oauth.getAccessToken(profile.grantId)
  emit(ctx, current.accessToken, {
    profile: profile.name,
    origin: current.origin,
    tokenType: current.tokenType,
    sessionID: current.accessToken,
  })
}
