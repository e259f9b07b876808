/**
 * Where the command line keeps its state: one per-user directory (0700) holding the profiles (plain JSON,
 * no secrets), the encryption key (`key.json`, 0600) and the file store (encrypted grants, locks).
 *
 * `WORKFRONT_CONFIG_DIR` overrides the directory (tests, several identities on one account); otherwise
 * `$XDG_CONFIG_HOME/workfront-oauth`, `~/.config/workfront-oauth`, or `%APPDATA%\workfront-oauth` on Windows.
 */
import { randomBytes } from 'node:crypto'
import { link, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { EncryptionKey } from '@workfront-oauth/core'
import { generateEncryptionKey } from '@workfront-oauth/core'
import { CLIError } from './errors.ts'

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

export function profilePath(dir: string, name: string): string {
  return join(dir, 'profiles', `${name}.json`)
}

export async function readProfile(dir: string, name: string): Promise<Profile | null> {
  try {
    return { ...(JSON.parse(await readFile(profilePath(dir, name), 'utf8')) as Profile), name }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null
    throw error
  }
}

export async function writeProfile(dir: string, profile: Profile): Promise<void> {
  await ensureDir(join(dir, 'profiles'))
  await writeAtomically(profilePath(dir, profile.name), `${JSON.stringify(profile, null, 2)}\n`)
}

export async function listProfiles(dir: string): Promise<Profile[]> {
  const names = await readdir(join(dir, 'profiles')).catch(() => [] as string[])
  const profiles = await Promise.all(
    names
      .filter((file) => file.endsWith('.json') && PROFILE_NAME.test(file.slice(0, -5)))
      .map((file) => readProfile(dir, file.slice(0, -5))),
  )
  return profiles.filter((p): p is Profile => p !== null).sort((a, b) => a.name.localeCompare(b.name))
}

/**
 * The key that encrypts the store, created on first use. Created with an exclusive link so that two
 * processes starting at once agree on one key; refused when others can read it.
 */
export async function loadKey(dir: string): Promise<EncryptionKey> {
  const path = join(dir, 'key.json')
  for (;;) {
    try {
      const { mode } = await stat(path)
      if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
        throw new CLIError(
          'insecure_key_file',
          `${path} can be read by other users; make it private with: chmod 600 ${path}`,
        )
      }
      const { id, key } = JSON.parse(await readFile(path, 'utf8')) as EncryptionKey
      return id === undefined ? { key } : { id, key }
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ENOENT') throw error
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
