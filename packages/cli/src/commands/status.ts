import { createWorkfrontClient } from '@workfront-oauth/core'
import type { Profile } from '../config.ts'
import { listProfiles, redirectURI } from '../config.ts'
import type { Context } from '../context.ts'
import { describeError, ExitCode } from '../errors.ts'
import { emit } from '../output.ts'
import { describeUser, hostOf } from './user.ts'

type State = 'signed in' | 'signed out' | 'sign in again' | 'unreachable' | 'error'

interface ProfileStatus {
  profile: string
  origin: string
  clientId: string
  redirectUri: string
  user: Profile['user']
  state: State
  /** When the current session was obtained, how often the grant was refreshed (no tokens). */
  grant: { obtainedAt: string; refreshCount: number } | null
  error?: { code: string; message: string }
}

/**
 * Every profile (or the one named with --profile), each checked against Workfront with `GET session` — which
 * refreshes a session that has expired. Exit code 0 when all are signed in.
 */
export async function status(ctx: Context, flags: { all: boolean }): Promise<number> {
  const profiles = (await listProfiles(ctx.dir)).filter((p) => flags.all || p.name === ctx.profileName)
  if (profiles.length === 0) {
    const message = flags.all
      ? 'No profile has signed in yet. Sign in with: workfront login --tenant <org>'
      : `Profile ${ctx.profileName} has never signed in. Sign in with: workfront login --tenant <org>`
    emit(ctx, message, [])
    return ExitCode.SignInRequired
  }
  const results = await Promise.all(profiles.map((profile) => check(ctx, profile)))
  emit(
    ctx,
    results
      .map((r) =>
        [
          `${r.profile}: ${r.state}${r.state === 'signed in' ? ` as ${describeUser(r.user)}` : ''} — ${hostOf(r.origin)}`,
          `  client ${r.clientId}, redirect ${r.redirectUri}`,
          ...(r.grant
            ? [`  session obtained ${r.grant.obtainedAt}, refreshed ${r.grant.refreshCount} times`]
            : []),
          ...(r.error ? [`  ${r.error.message}`] : []),
        ].join('\n'),
      )
      .join('\n'),
    results,
  )
  const states = results.map((r) => r.state)
  if (states.includes('unreachable')) return ExitCode.Unreachable
  if (states.includes('error')) return ExitCode.Failure
  return states.every((s) => s === 'signed in') ? ExitCode.OK : ExitCode.SignInRequired
}

async function check(ctx: Context, profile: Profile): Promise<ProfileStatus> {
  const base = {
    profile: profile.name,
    origin: profile.origin,
    clientId: profile.clientId,
    redirectUri: redirectURI(profile.port),
    user: profile.user,
  }
  if (profile.grantId === null) return { ...base, state: 'signed out', grant: null }
  try {
    const oauth = await ctx.oauth(profile)
    await createWorkfrontClient(oauth, profile.grantId).session()
    const grant = await oauth.getGrant(profile.grantId)
    return {
      ...base,
      state: 'signed in',
      grant: grant && {
        obtainedAt: new Date(grant.obtainedAt).toISOString(),
        refreshCount: grant.refreshCount,
      },
    }
  } catch (error) {
    const { code, message, exitCode } = describeError(error)
    // Not this profile's state: nothing in the config directory can be trusted. The command stops there.
    if (exitCode === ExitCode.InsecureConfig) throw error
    const state: State =
      exitCode === ExitCode.SignInRequired
        ? 'sign in again'
        : exitCode === ExitCode.Unreachable
          ? 'unreachable'
          : 'error'
    return { ...base, state, grant: null, error: { code, message } }
  }
}
