import { writeProfile } from '../config.ts'
import type { Context } from '../context.ts'
import { emit } from '../output.ts'
import { hostOf } from './user.ts'

/**
 * Ends the Workfront session and deletes the grant (its tokens) from this machine; the profile's settings
 * stay for the next `login`. Workfront documents no endpoint to revoke a refresh token: the deleted one
 * stays valid at Workfront until its absolute or idle limit, but no copy of it is left here.
 */
export async function logout(ctx: Context): Promise<void> {
  const profile = await ctx.requireSignedIn()
  const { sessionEnded } = await (await ctx.oauth(profile)).logout(profile.grantId)
  await writeProfile(ctx.dir, { ...profile, grantId: null, user: null })
  emit(
    ctx,
    `Signed out of ${hostOf(profile.origin)} (profile ${profile.name}). ` +
      (sessionEnded
        ? 'The Workfront session was ended'
        : 'The Workfront session could not be ended (it will expire)') +
      ' and the tokens were deleted from this machine.',
    { profile: profile.name, origin: profile.origin, sessionEnded },
  )
}
