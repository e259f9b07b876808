import type { Context } from '../context.ts'
import { emit } from '../output.ts'
import { describeUser, fetchUser, hostOf } from './user.ts'

export async function whoami(ctx: Context): Promise<void> {
  const profile = await ctx.requireSignedIn()
  const user = await fetchUser(await ctx.oauth(profile), profile.grantId)
  emit(ctx, `${describeUser(user)} on ${hostOf(profile.origin)} (profile ${profile.name})`, {
    profile: profile.name,
    origin: profile.origin,
    user,
  })
}
