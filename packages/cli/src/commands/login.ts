import { randomBytes } from 'node:crypto'
import {
  DEFAULT_API_VERSION,
  parseBaseURL,
  parseTenantInput,
  WORKFRONT_HOST_PATTERNS,
} from '@workfront-oauth/core'
import { openBrowser } from '../browser.ts'
import type { Profile } from '../config.ts'
import { DEFAULT_PORT, readProfile, redirectURI, writeProfile } from '../config.ts'
import type { Context } from '../context.ts'
import { clientSecret } from '../context.ts'
import { CLIError, describeError } from '../errors.ts'
import { startLoopback } from '../loopback.ts'
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
const DEFAULT_TIMEOUT_S = 600

export async function login(ctx: Context, flags: LoginFlags): Promise<void> {
  const existing = await readProfile(ctx.dir, ctx.profileName)
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
  const port = parsePort(flags.port ?? existing?.port ?? DEFAULT_PORT)
  const clientAuth = flags.clientAuth ?? existing?.clientAuth ?? 'post'
  if (clientAuth !== 'post' && clientAuth !== 'basic')
    throw new CLIError('usage', '--client-auth is post or basic')
  const timeoutS = Number(flags.timeout ?? DEFAULT_TIMEOUT_S)
  if (!Number.isInteger(timeoutS) || timeoutS < 1)
    throw new CLIError('usage', '--timeout is a number of seconds')
  const profile: Profile = {
    name: ctx.profileName,
    origin,
    clientId,
    confidential: clientSecret(ctx.io.env, ctx.profileName) !== undefined,
    clientAuth,
    port,
    apiVersion: flags.apiVersion ?? existing?.apiVersion ?? DEFAULT_API_VERSION,
    grantId: null,
    user: null,
  }
  const oauth = await ctx.oauth(profile)
  const host = hostOf(origin)
  const { stderr } = ctx.io

  // One sign-in per profile at a time: a second one would wait on another port or steal the first one's.
  const lockKey = `login:${ctx.profileName}`
  const owner = randomBytes(16).toString('hex')
  if (!(await ctx.locks.acquireLock(lockKey, { owner, leaseMs: LOGIN_LEASE_MS }))) {
    throw new CLIError(
      'login_in_progress',
      `A sign-in for profile ${ctx.profileName} is already waiting (in another terminal?). Finish or cancel it first.`,
    )
  }
  const keepLock = setInterval(() => {
    ctx.locks.extendLock(lockKey, { owner, leaseMs: LOGIN_LEASE_MS }).catch(() => undefined)
  }, LOGIN_LEASE_MS / 3)
  keepLock.unref()

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

  let progress: ReturnType<typeof startProgress> | undefined
  const note = (line: string): void => (progress ? progress.note(line) : stderr.write(`${line}\n`))
  const server = await startLoopback({
    port,
    workfrontOrigin: origin,
    onRefused: (reason) => note(`Refused ${reason}; still waiting.`),
  }).catch(async (error) => {
    await release()
    throw error
  })
  async function release(): Promise<void> {
    clearInterval(keepLock)
    clearTimeout(timer)
    ctx.io.signal.removeEventListener('abort', onAbort)
    await ctx.locks.releaseLock(lockKey, { owner }).catch(() => undefined)
  }

  try {
    const { url, state } = await oauth.startLogin()
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
      `Waiting for the sign-in to come back to ${redirectURI(port)} (Ctrl-C to cancel)`,
    )
    const callback = await server.waitForCallback(state, stop.signal)
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
    callback.respond({
      status: 200,
      title: 'Signed in',
      message: `Signed in to ${host} as ${describeUser(user)}. You can close this tab and return to the terminal.`,
    })
    progress.stop()
    const previous = existing?.grantId
    await writeProfile(ctx.dir, { ...profile, grantId, user })
    // The grant this sign-in replaces: end its session and forget its tokens.
    if (previous && previous !== grantId) {
      const old = await ctx.oauth({ ...profile, ...existing, grantId: previous }).catch(() => null)
      await old?.logout(previous).catch(() => undefined)
    }
    emit(ctx, `✓ Signed in to ${host} as ${describeUser(user)} (profile ${ctx.profileName})`, {
      profile: ctx.profileName,
      origin,
      user,
    })
  } finally {
    progress?.stop()
    await server.close()
    await release()
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
