import { randomBytes } from 'node:crypto'
import { DEFAULT_API_VERSION } from '@workfront-oauth/core'
import type { APIVersionStatus } from '@workfront-oauth/core/adapters'
import {
  apiVersionStatus,
  parseBaseURL,
  parseTenantInput,
  WORKFRONT_HOST_PATTERNS,
} from '@workfront-oauth/core/adapters'
import { openBrowser } from '../browser.ts'
import type { Profile, SignedInProfile } from '../config.ts'
import { DEFAULT_PORT, readProfile, redirectURI, writeProfile } from '../config.ts'
import type { Context } from '../context.ts'
import { clientSecret } from '../context.ts'
import { CLIError, describeError } from '../errors.ts'
import type { LoopbackServer } from '../loopback.ts'
import { startLoopback } from '../loopback.ts'
import type { Progress } from '../output.ts'
import { emit, startProgress } from '../output.ts'
import { describeUser, fetchUser, hostOf } from './user.ts'

export interface LoginFlags {
  tenant?: string | undefined
  clientId?: string | undefined
  port?: string | undefined
  apiVersion?: string | undefined
  clientAuth?: string | undefined
  noBrowser?: boolean | undefined
  timeout?: string | undefined
}

const LOGIN_LEASE_MS = 30_000
/** Said at sign-in, when the profile's API version is not a current one (Workfront's schedule, per the core). */
const API_VERSION_WARNINGS: Partial<Record<APIVersionStatus, string>> = {
  deprecated: 'is deprecated (still served, no longer supported): pass a current --api-version',
  removed: 'is no longer served by Workfront: pass a current --api-version',
  unknown: 'is not a version the CLI knows: check that it exists',
}
const DEFAULT_TIMEOUT_S = 600
const SHOWN_REFUSALS = 10

export async function login(ctx: Context, flags: LoginFlags): Promise<void> {
  const existing = await readProfile(ctx.dir, ctx.profileName)
  const profile = settings(ctx, flags, existing)
  const timeoutS = Number(flags.timeout ?? DEFAULT_TIMEOUT_S)
  if (!Number.isInteger(timeoutS) || timeoutS < 1)
    throw new CLIError('usage', '--timeout is a number of seconds')
  const oauth = await ctx.oauth(profile)
  const host = hostOf(profile.origin)
  const { stderr } = ctx.io
  const versionWarning = API_VERSION_WARNINGS[apiVersionStatus(profile.apiVersion, Date.now())]
  if (versionWarning) stderr.write(`Warning: Workfront API ${profile.apiVersion} ${versionWarning}\n`)

  const releaseLock = await holdLoginLock(ctx)
  const stop = new AbortController()
  const onAbort = (): void =>
    stop.abort(new CLIError('interrupted', 'The sign-in was cancelled; nothing was changed'))
  ctx.io.signal.addEventListener('abort', onAbort, { once: true })
  const timer = setTimeout(
    () =>
      stop.abort(
        new CLIError('login_timeout', `No sign-in came back within ${timeoutS} s; nothing was changed`),
      ),
    timeoutS * 1000,
  )
  timer.unref()
  let progress: Progress | undefined
  const note = (line: string): void => (progress ? progress.note(line) : stderr.write(`${line}\n`))
  let server: LoopbackServer | undefined
  const refusals = refusalReporter(note)

  try {
    server = await startLoopback({
      port: profile.port,
      workfrontOrigin: profile.origin,
      onRefused: refusals.refused,
    })
    const { url: authorizeURL, state } = await oauth.startLogin()
    // The browser gets the loopback start page, never the authorize URL: other users can read its command line.
    const signIn = server.begin({ state, authorizeURL }, stop.signal)
    const url = signIn.startURL
    if (flags.noBrowser) {
      stderr.write(`Open this URL in a browser to sign in to ${host}:\n\n  ${url}\n\n`)
    } else {
      stderr.write(`Opening your browser to sign in to ${host}…\n`)
      const fallback = (reason: string): void =>
        note(`Could not open a browser (${reason}). Open this URL to sign in:\n\n  ${url}\n`)
      const opened = await openBrowser(url, ctx.io.env, fallback)
      if (!opened.ok) fallback(opened.reason ?? 'unknown reason')
    }
    progress = startProgress(
      stderr,
      `Waiting for the sign-in to come back to ${redirectURI(profile.port)} (a redirect URL of the app; Ctrl-C to cancel)`,
    )
    const callback = await signIn.callback
    progress.update('Signing in…')
    let grantId: string
    try {
      grantId = (await oauth.handleCallback(callback.url)).grant.id
    } catch (error) {
      callback.respond({
        status: 400,
        title: 'Sign-in failed',
        message: `${describeError(error).message}. See the terminal.`,
      })
      throw error
    }
    const user = await fetchUser(oauth, grantId).catch(() => null)
    try {
      callback.confirm()
    } catch (error) {
      callback.respond({ status: 409, title: 'Sign-in stopped', message: 'See the terminal.' })
      // Maybe another user's sign-in: its session is ended and its tokens deleted, nothing is saved.
      await oauth.logout(grantId).catch(() => undefined)
      throw error
    }
    callback.respond({
      status: 200,
      title: 'Signed in',
      message: `Signed in to ${host} as ${describeUser(user)}. You can close this tab and return to the terminal.`,
    })
    progress.stop()
    await writeProfile(ctx.dir, { ...profile, grantId, user })
    if (existing?.grantId && existing.grantId !== grantId) await forget(ctx, existing as SignedInProfile)
    emit(ctx, `✓ Signed in to ${host} as ${describeUser(user)} (profile ${ctx.profileName})`, {
      profile: ctx.profileName,
      origin: profile.origin,
      user,
    })
  } finally {
    progress?.stop()
    const summary = refusals.summary()
    if (summary) stderr.write(`${summary}\n`)
    clearTimeout(timer)
    ctx.io.signal.removeEventListener('abort', onAbort)
    await server?.close()
    await releaseLock()
  }
}

/**
 * Refused requests, told without flooding the terminal (anyone can send them, by the hundred): the first
 * ten each on its line, then one line when the count reaches 100, 1000…, and the total at the end.
 */
function refusalReporter(note: (line: string) => void): {
  refused(reason: string): void
  /** The line that ends the report, when some refusals were not shown one by one. */
  summary(): string | null
} {
  let count = 0
  let milestone = SHOWN_REFUSALS * 10
  return {
    refused(reason) {
      count++
      if (count <= SHOWN_REFUSALS) note(`Refused ${reason}; still waiting.`)
      else if (count === milestone) {
        note(`Refused ${count} requests so far (the latest: ${reason}); still waiting.`)
        milestone *= 10
      }
    },
    summary: () => (count > SHOWN_REFUSALS ? `Refused ${count} requests in all while waiting.` : null),
  }
}

/** The profile to sign in with: flags, then the profile's saved settings, then the environment and defaults. */
function settings(ctx: Context, flags: LoginFlags, existing: Profile | null): Profile {
  const tenant = flags.tenant ?? existing?.origin
  if (!tenant) throw new CLIError('usage', 'Name the Workfront org to sign in to: --tenant <org> (e.g. acme)')
  const origin = resolveOrigin(tenant)
  const clientId =
    flags.clientId ??
    ctx.io.env.WORKFRONT_CLIENT_ID ??
    (existing?.origin === origin ? existing.clientId : undefined)
  if (!clientId) {
    throw new CLIError('usage', 'Give the OAuth2 app’s client ID: --client-id <id> (or WORKFRONT_CLIENT_ID)')
  }
  const clientAuth = flags.clientAuth ?? existing?.clientAuth ?? 'post'
  if (clientAuth !== 'post' && clientAuth !== 'basic')
    throw new CLIError('usage', '--client-auth is post or basic')
  return {
    name: ctx.profileName,
    origin,
    clientId,
    confidential: clientSecret(ctx.io.env, ctx.profileName) !== undefined,
    clientAuth,
    port: parsePort(flags.port ?? existing?.port ?? DEFAULT_PORT),
    apiVersion: flags.apiVersion ?? existing?.apiVersion ?? DEFAULT_API_VERSION,
    grantId: null,
    user: null,
  }
}

/**
 * One sign-in per profile at a time (a second one would wait on another port, or steal the first one's):
 * a leased lock in the store, kept while the sign-in waits, released by the returned function. A killed
 * `login` blocks the next one only until its lease ends.
 */
async function holdLoginLock(ctx: Context): Promise<() => Promise<void>> {
  const key = `login:${ctx.profileName}`
  const lock = { owner: randomBytes(16).toString('hex'), leaseMs: LOGIN_LEASE_MS }
  if (!(await ctx.locks.acquireLock(key, lock))) {
    throw new CLIError(
      'login_in_progress',
      `A sign-in for profile ${ctx.profileName} is already waiting (in another terminal?). Finish or cancel it first.`,
    )
  }
  const keepAlive = setInterval(() => {
    ctx.locks.extendLock(key, lock).catch(() => undefined)
  }, LOGIN_LEASE_MS / 3)
  keepAlive.unref()
  return async () => {
    clearInterval(keepAlive)
    await ctx.locks.releaseLock(key, lock).catch(() => undefined)
  }
}

/** The grant a new sign-in replaces: its session ended, its tokens deleted (best effort). */
async function forget(ctx: Context, previous: SignedInProfile): Promise<void> {
  try {
    await (await ctx.oauth(previous)).logout(previous.grantId)
  } catch {
    // Its session expires by itself; a missing secret or an unreachable Workfront must not fail the sign-in.
  }
}

/** `acme`, `acme.preview.workfront.com`, `https://…` — or a loopback `http://` origin (a local mock). */
export function resolveOrigin(tenant: string): string {
  if (/^http:\/\//i.test(tenant.trim())) {
    try {
      return parseBaseURL(tenant.trim(), '--tenant')
    } catch (error) {
      throw new CLIError('usage', describeError(error).message)
    }
  }
  const resolved = parseTenantInput(tenant, WORKFRONT_HOST_PATTERNS)
  if (!resolved.ok) {
    throw new CLIError(
      'usage',
      `${resolved.error.message}: give the org name (acme) or its Workfront address (acme.my.workfront.com)`,
    )
  }
  return resolved.origin
}

function parsePort(value: string | number): number {
  const port = Number(value)
  if (!/^\d{1,5}$/.test(String(value)) || port < 1 || port > 65_535) {
    throw new CLIError('usage', '--port is a port number (1–65535) registered in the app’s redirect URI')
  }
  return port
}
