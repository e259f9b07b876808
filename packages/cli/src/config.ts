/**
 * Where the command line keeps its state: one per-user directory (0700) holding the profiles (plain JSON,
 * no secrets), the encryption key (`key.json`, 0600) and the file store (encrypted grants, locks). Nothing in
 * it is used when another user could have changed it (`checkConfigDir`, `permissions.ts`).
 *
 * `WORKFRONT_CONFIG_DIR` overrides the directory (tests, several identities on one account); otherwise
 * `$XDG_CONFIG_HOME/workfront-oauth`, `~/.config/workfront-oauth`, or `%APPDATA%\workfront-oauth` on Windows.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { EncryptionKey } from '@workfront-oauth/core'
import { generateEncryptionKey } from '@workfront-oauth/core'
import { CLIError } from './errors.ts'
import { checkOwnDir, checkPrivateTree, InsecureFileError, readOwnFile } from './permissions.ts'

export type Env = Readonly<Record<string, string | undefined>>

export function configDir(env: Env): string {
  if (env.WORKFRONT_CONFIG_DIR) return resolve(env.WORKFRONT_CONFIG_DIR)
  if (process.platform === 'win32') {
    return join(env.APPDATA || join(homedir(), 'AppData', 'Roaming'), 'workfront-oauth')
  }
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'workfront-oauth')
}

/** A named sign-in: which org, which app, which port, and the grant it holds (tokens are in the store). */
export interface Profile {
  name: string
  /** The org's origin, e.g. `https://acme.my.workfront.com`. */
  origin: string
  clientId: string
  /** True when the app was signed in to with a client secret (which then is needed for every refresh). */
  confidential: boolean
  clientAuth: 'post' | 'basic'
  /** The loopback port of the registered redirect URI `http://127.0.0.1:<port>/callback`. */
  port: number
  apiVersion: string
  grantId: string | null
  user: SignedInUser | null
}

/** A profile that holds a grant. */
export type SignedInProfile = Profile & { grantId: string }

export interface SignedInUser {
  id: string
  name: string | null
  username: string | null
  email: string | null
}

export const DEFAULT_PORT = 8976
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

export function redirectURI(port: number): string {
  return `http://127.0.0.1:${port}/callback`
}

const FILE_MODE = 0o600
const DIR_MODE = 0o700

async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: DIR_MODE })
}

/** Writes a whole file atomically: a 0600 temporary file in the same directory, renamed over the target. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  await writeFile(tmp, text, { mode: FILE_MODE, flag: 'wx' })
  try {
    await rename(tmp, path)
  } catch (error) {
    await unlink(tmp).catch(() => undefined)
    throw error
  }
}

/**
 * Refuses a config directory that another user could change (see `permissions.ts`): checked by every command
 * before it reads anything there. A directory that does not exist yet is checked where it would be created.
 */
export async function checkConfigDir(dir: string): Promise<void> {
  try {
    await checkPrivateTree(dir)
  } catch (error) {
    if (error instanceof InsecureFileError)
      throw new CLIError('insecure_config', error.message, { cause: error })
    throw error
  }
}

export function profilePath(dir: string, name: string): string {
  return join(dir, 'profiles', `${name}.json`)
}

export async function readProfile(dir: string, name: string): Promise<Profile | null> {
  if (!(await checkOwnDir(join(dir, 'profiles')))) return null
  const text = await readOwnFile(profilePath(dir, name))
  return text === null ? null : { ...(JSON.parse(text) as Profile), name }
}

export async function writeProfile(dir: string, profile: Profile): Promise<void> {
  await ensureDir(join(dir, 'profiles'))
  await writeAtomically(profilePath(dir, profile.name), `${JSON.stringify(profile, null, 2)}\n`)
}

export async function listProfiles(dir: string): Promise<Profile[]> {
  if (!(await checkOwnDir(join(dir, 'profiles')))) return []
  const names = await readdir(join(dir, 'profiles'))
  const profiles = await Promise.all(
    names
      .filter((file) => file.endsWith('.json') && PROFILE_NAME.test(file.slice(0, -5)))
      .map((file) => readProfile(dir, file.slice(0, -5))),
  )
  return profiles.filter((p): p is Profile => p !== null).sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * The key that encrypts the store, created on first use. Created with an exclusive link so that two
 * processes starting at once agree on one key; refused when others can read or change it, when it belongs to
 * someone else, and when it is a symbolic link (which could lead to a key another user wrote).
 */
export async function loadKey(dir: string): Promise<EncryptionKey> {
  const path = join(dir, 'key.json')
  for (;;) {
    let text: string | null
    try {
      text = await readOwnFile(path, { secret: true })
    } catch (error) {
      if (error instanceof InsecureFileError) {
        throw new CLIError('insecure_key_file', error.message, { cause: error })
      }
      throw error
    }
    if (text !== null) {
      const { id, key } = JSON.parse(text) as EncryptionKey
      return id === undefined ? { key } : { id, key }
    }
    await ensureDir(dir)
    const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
    // No id: the core derives it from the key, so a replaced key file never passes for the old one.
    const key = { key: generateEncryptionKey() }
    await writeFile(tmp, JSON.stringify(key), { mode: FILE_MODE, flag: 'wx' })
    try {
      await link(tmp, path)
      return key
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error
      // Another process created it first: use theirs.
    } finally {
      await unlink(tmp).catch(() => undefined)
    }
  }
}
