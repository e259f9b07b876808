/**
 * Who may change what the CLI reads. Another user who can write to the config directory (or owns it, or a
 * directory above it) can plant a lock that blocks `login`, or a profile that sends the sign-in and the
 * client secret to a server of theirs. So, as ssh refuses a loose `~/.ssh` (OpenSSH `safe_path()`, which
 * `StrictModes` applies), every directory and file read here must belong to the user (or root), be writable
 * by no one else, and not be a symbolic link; a secret file must not be readable by anyone else either.
 *
 * On Windows there are no POSIX owners or modes: nothing is checked there.
 */

import type { Stats } from 'node:fs'
import { constants } from 'node:fs'
import { lstat, open, readFile, realpath } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join, relative, sep } from 'node:path'

/**
 * A file or directory of the store (or of the CLI's configuration) that another user could have changed: owned
 * by someone else, writable by others, a symbolic link, or (for a secret) readable by others. Its message says
 * what to fix.
 */
export class InsecureFileError extends Error {
  /** Always `InsecureFileError` (compare it rather than `instanceof`, which fails across duplicate installs). */
  override readonly name = 'InsecureFileError' as const
  /** Always `insecure_file`. */
  readonly code = 'insecure_file' as const
  /** The file or directory refused. */
  readonly path: string

  /**
   * @param path - The file or directory refused.
   * @param message - What is wrong with it and how to fix it (a path and a mode: nothing secret).
   */
  constructor(path: string, message: string) {
    super(message)
    this.path = path
  }
}

/** Whose files are trusted: the process's effective user (and root, who can change anything anyway). */
export interface Trust {
  /** `null` where there are no POSIX owners (Windows): nothing is checked. */
  uid: number | null
}

export function processTrust(): Trust {
  return { uid: process.platform === 'win32' ? null : (process.geteuid?.() ?? null) }
}

const GROUP_OTHER_WRITE = 0o022
const GROUP_OTHER_ANY = 0o077
const STICKY = 0o1000

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code
}

function checkOwner(path: string, stats: Stats, trust: Trust & { uid: number }): void {
  if (stats.uid !== trust.uid && stats.uid !== 0) {
    throw new InsecureFileError(
      path,
      `${path} belongs to another user (uid ${stats.uid}), who could change what is read from it: remove it ` +
        '(it may have been planted), or use a directory of your own',
    )
  }
}

/**
 * Reads a file this code wrote: refused when it is a symbolic link (opened with `O_NOFOLLOW`), not a regular
 * file, someone else's, writable by others, or — with `secret` — readable by others. The checks are made on the
 * opened file, so it cannot be swapped between check and read. `null` when the file does not exist.
 */
export async function readOwnFile(
  path: string,
  options: { secret?: boolean; trust?: Trust } = {},
): Promise<string | null> {
  const trust = options.trust ?? processTrust()
  if (trust.uid === null) {
    return readFile(path, 'utf8').catch((error: unknown) => {
      if (isCode(error, 'ENOENT')) return null
      throw error
    })
  }
  let handle: Awaited<ReturnType<typeof open>>
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null
    if (isCode(error, 'ELOOP')) throw symlinkError(path)
    throw error
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw new InsecureFileError(path, `${path} is not a regular file: remove it`)
    checkOwner(path, stats, { uid: trust.uid })
    const mask = options.secret ? GROUP_OTHER_ANY : GROUP_OTHER_WRITE
    if ((stats.mode & mask) !== 0) {
      const what = options.secret ? 'can be read by other users' : 'can be changed by other users'
      throw new InsecureFileError(path, `${path} ${what}; make it private with: chmod 600 ${path}`)
    }
    return await handle.readFile('utf8')
  } finally {
    await handle.close()
  }
}

/**
 * Checks a directory this code created: a directory (not a symbolic link, unless `follow`), the user's, that
 * others cannot write to. `false` when it does not exist.
 */
export async function checkOwnDir(
  path: string,
  options: { follow?: boolean; trust?: Trust } = {},
): Promise<boolean> {
  const trust = options.trust ?? processTrust()
  if (trust.uid === null) return true
  let stats: Stats
  try {
    stats = await lstat(options.follow ? await realpath(path) : path)
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false
    throw error
  }
  if (stats.isSymbolicLink()) throw symlinkError(path)
  if (!stats.isDirectory()) throw new InsecureFileError(path, `${path} is not a directory: remove it`)
  checkOwner(path, stats, { uid: trust.uid })
  if ((stats.mode & GROUP_OTHER_WRITE) !== 0) {
    throw new InsecureFileError(
      path,
      `${path} can be written to by other users; make it private with: chmod 700 ${path}`,
    )
  }
  return true
}

/**
 * ssh's `safe_path()` for a directory: the directory itself (symbolic links resolved) must pass `checkOwnDir`,
 * and each directory above it, up to the home directory (when it is inside it) or the root, must belong to the
 * user or root and be writable by no one else — unless it is sticky (`/tmp`), where others cannot rename or
 * remove what is not theirs. A directory that does not exist yet is checked from its nearest existing parent,
 * where it would be created.
 */
export async function checkPrivateTree(
  dir: string,
  options: { trust?: Trust; home?: string } = {},
): Promise<void> {
  const trust = options.trust ?? processTrust()
  if (trust.uid === null) return
  let existing = dir
  let real: string | null = null
  for (;;) {
    try {
      real = await realpath(existing)
      break
    } catch (error) {
      if (!isCode(error, 'ENOENT') || dirname(existing) === existing) throw error
      existing = dirname(existing)
    }
  }
  if (existing === dir) await checkOwnDir(real, { trust })
  const home = await realpath(options.home ?? homedir()).catch(() => null)
  const insideHome =
    home !== null && (real === home || real.startsWith(home.endsWith(sep) ? home : home + sep))
  let path = existing === dir ? dirname(real) : real
  let child = existing === dir ? real : join(real, relative(existing, dir).split(sep)[0] as string)
  for (;;) {
    const stats = await lstat(path)
    if (stats.uid !== trust.uid && stats.uid !== 0) {
      throw new InsecureFileError(
        path,
        `${path} belongs to another user (uid ${stats.uid}), who could replace ${child}: use a directory of your own`,
      )
    }
    if ((stats.mode & GROUP_OTHER_WRITE) !== 0 && (stats.mode & STICKY) === 0) {
      throw new InsecureFileError(
        path,
        `${path} can be written to by other users, who could replace ${child}; fix it with: chmod go-w ${path}`,
      )
    }
    if ((insideHome && path === home) || dirname(path) === path) return
    child = path
    path = dirname(path)
  }
}

function symlinkError(path: string): InsecureFileError {
  return new InsecureFileError(
    path,
    `${path} is a symbolic link, which could lead anywhere: replace it with the file itself, or remove it`,
  )
}
