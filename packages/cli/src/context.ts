/**
 * What every command gets: the process's input and output, the selected profile, and the stores and OAuth
 * client built for it.
 */
import { join } from 'node:path'
import type { Logger, StoragePort, WorkfrontOAuth } from '@workfront-oauth/core'
import { createWorkfrontOAuth, encryptedStore } from '@workfront-oauth/core'
import type { Env, Profile, SignedInProfile } from './config.ts'
import { configDir, loadKey, PROFILE_NAME, readProfile, redirectURI } from './config.ts'
import { CLIError } from './errors.ts'
import { fileStore } from './file-store.ts'

export interface Output {
  write(text: string): void
  readonly isTTY: boolean
}

export interface IO {
  env: Env
  stdout: Output
  stderr: Output
  readStdin(): Promise<string>
  /** Aborted on Ctrl-C. */
  signal: AbortSignal
}

export interface Context {
  io: IO
  dir: string
  profileName: string
  json: boolean
  /** The file store without encryption: locks only (the login lock). */
  locks: StoragePort
  /** The encrypted store, its key loaded (or created) on first use. */
  store(): Promise<StoragePort>
  oauth(profile: Profile): Promise<WorkfrontOAuth>
  /** The profile, or a `not_signed_in` error naming what to run. */
  requireProfile(): Promise<Profile>
  /** The profile and its grant id, or a `not_signed_in` error. */
  requireSignedIn(): Promise<SignedInProfile>
  /**
   * Rotated tokens that the OAuth clients made here still hold because the store refused them: settles once
   * all of them are written (or superseded); `null` when nothing is pending. See `WorkfrontOAuth.pendingWrites`.
   */
  pendingWrites(): Promise<void> | null
  /** How long the CLI waits for those writes before it exits: `$WORKFRONT_SAVE_TIMEOUT` seconds, default 10. */
  saveTimeoutMs: number
}

/** Refresh-lock waits: CLI processes started together on a busy machine may wait long for one refresh. */
const LOCK_WAIT_MS = 120_000
/**
 * The core writes refused tokens again after 100 ms, doubling up to 5 s: ten seconds are six attempts, enough
 * for a lock or a disk to come back, short enough for an exit that a user is waiting for.
 */
const DEFAULT_SAVE_TIMEOUT_S = 10

export function createContext(
  io: IO,
  options: { profile?: string | undefined; json?: boolean | undefined },
): Context {
  const profileName = options.profile ?? io.env.WORKFRONT_PROFILE ?? 'default'
  if (!PROFILE_NAME.test(profileName)) {
    throw new CLIError(
      'usage',
      'Profile names are letters, digits, - and _ (at most 64), starting with a letter or digit',
    )
  }
  // What the core reports for a human (a refused client, a deprecated version): one line on stderr. With
  // --json the error object on stderr must stay the only thing there, and it carries the code.
  const logger: Logger = {
    warn(message) {
      if (options.json !== true) io.stderr.write(`workfront: ${message}\n`)
    },
  }
  const saveTimeoutS = Number(io.env.WORKFRONT_SAVE_TIMEOUT || DEFAULT_SAVE_TIMEOUT_S)
  if (!(saveTimeoutS >= 0 && saveTimeoutS <= 3600)) {
    throw new CLIError('usage', 'WORKFRONT_SAVE_TIMEOUT is a number of seconds (0 to 3600)')
  }
  const dir = configDir(io.env)
  const locks = fileStore({ dir: join(dir, 'store') })
  let store: Promise<StoragePort> | undefined
  const clients: WorkfrontOAuth[] = []

  const context: Context = {
    io,
    dir,
    profileName,
    json: options.json === true,
    locks,
    store() {
      // One key on one machine, never rolled out: a record of any other key is of a key file that is gone.
      store ??= loadKey(dir).then((key) => encryptedStore(locks, { keys: [key], retiredKeyIds: '*' }))
      return store
    },
    async oauth(profile) {
      const secret = clientSecret(io.env, profile.name)
      if (profile.confidential && secret === undefined) {
        throw new CLIError(
          'missing_client_secret',
          `Profile ${profile.name} signs in to a Web application with a client secret: set WORKFRONT_CLIENT_SECRET ` +
            `(or ${secretVariable(profile.name)}) in the environment`,
        )
      }
      const oauth = createWorkfrontOAuth({
        clientId: profile.clientId,
        ...(profile.confidential && secret !== undefined
          ? { clientSecret: secret, clientAuth: profile.clientAuth }
          : {}),
        redirectUri: redirectURI(profile.port),
        baseUrl: profile.origin,
        store: await context.store(),
        apiVersion: profile.apiVersion,
        lockWaitMs: LOCK_WAIT_MS,
        // The profile keeps who signed in (read by `login` and `whoami` themselves): the grant need not, and
        // a user read after each refresh would be work `waitForPendingWrites` waits for at every exit.
        user: false,
        logger,
      })
      clients.push(oauth)
      return oauth
    },
    async requireProfile() {
      const profile = await readProfile(dir, profileName)
      if (!profile) throw new CLIError('not_signed_in', `Profile ${profileName} has never signed in`)
      return profile
    },
    async requireSignedIn() {
      const profile = await context.requireProfile()
      if (profile.grantId === null)
        throw new CLIError('not_signed_in', `Profile ${profileName} is signed out`)
      return profile as SignedInProfile
    },
    pendingWrites() {
      const pending = clients.map((oauth) => oauth.pendingWrites()).filter((p) => p !== null)
      return pending.length === 0 ? null : Promise.all(pending).then(() => undefined)
    },
    saveTimeoutMs: saveTimeoutS * 1000,
  }
  return context
}

/** `WORKFRONT_CLIENT_SECRET_<PROFILE>` (upper case, `-` as `_`), then `WORKFRONT_CLIENT_SECRET`. */
export function clientSecret(env: Env, profile: string): string | undefined {
  return env[secretVariable(profile)] || env.WORKFRONT_CLIENT_SECRET || undefined
}

function secretVariable(profile: string): string {
  return `WORKFRONT_CLIENT_SECRET_${profile.toUpperCase().replaceAll('-', '_')}`
}
