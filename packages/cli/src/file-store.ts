/**
 * The storage port on the local file system, for one user's processes on one machine (the CLI).
 *
 * Every key has a directory (named by the SHA-256 of the key, so any key is a safe file name) holding
 * numbered generations: `r.<n>` for the value and `l.<n>` for the lock. A write never changes a file: it
 * writes a temporary file and links it under the next generation's name. `link` is an atomic rename that
 * refuses to overwrite, so of two processes that read generation n and write n + 1, exactly one succeeds
 * and the other reads again — compare-and-set, single-use `take` and the leased lock all reduce to it.
 * Older generations are removed after each write. Files are 0600 and directories 0700.
 *
 * A lock records its owner and its lease's end: a process killed while holding it blocks the others only
 * until the lease runs out, and then the next `acquireLock` takes it over.
 *
 * What another user could have changed is never read (ssh's rule for `~/.ssh`): every directory of the store
 * and every file read must be the process user's (or root's), writable by no one else and not a symbolic link;
 * anything else rejects with an `InsecureFileError` that names the path and the fix.
 */
import { createHash, randomBytes } from 'node:crypto'
import { watch } from 'node:fs'
import { link, mkdir, readdir, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { StoragePort } from '@workfront-oauth/core'
import type { Clock, CompareAndSetResult, Versioned } from '@workfront-oauth/core/adapters'
import { systemClock } from '@workfront-oauth/core/adapters'
import { checkOwnDir, readOwnFile } from './permissions.ts'

/** Options of `fileStore()`. */
export interface FileStoreOptions {
  /**
   * The store's directory; created (0700) when missing. It (a symbolic link to it is followed) and everything
   * in it must belong to the process's user and be writable by no one else. Its parents are not checked.
   */
  dir: string
  /**
   * Clock for TTLs, leases and the wait for a lock (a fake clock in tests). All processes sharing a store
   * must agree on it.
   */
  clock?: Clock
}

/** What a value generation holds. `value: null` is a deletion. */
interface Record {
  value: string | null
  version: number
  versioned: boolean
  expiresAt: number | null
}

/** What a lock generation holds. `owner: null` is a release. */
interface LockRecord {
  owner: string | null
  expiresAt: number
}

type Kind = 'r' | 'l'

interface Generation<T> {
  n: number
  data: T | null
}

const FILE_MODE = 0o600
const DIR_MODE = 0o700

/**
 * A `StoragePort` on the local file system, for command lines and scripts: one file per key (mode 0600,
 * in a 0700 directory), written atomically, with leased locks that other processes on the machine respect.
 */
export function fileStore(options: FileStoreOptions): StoragePort {
  const clock = options.clock ?? systemClock
  const setTimer =
    clock.setTimer?.bind(clock) ??
    ((ms: number, callback: () => void): (() => void) => {
      const timer = setTimeout(callback, ms)
      return () => clearTimeout(timer)
    })
  const root = options.dir
  const tmpDir = join(root, 'tmp')
  let ready: Promise<unknown> | undefined
  let trusted = false

  const keyDir = (key: string): string =>
    join(root, 'keys', createHash('sha256').update(key, 'utf8').digest('hex'))

  async function ensureDir(dir: string): Promise<void> {
    // A failed creation is not remembered: the next write tries again (the directory may be fixed by then).
    ready ??= mkdir(tmpDir, { recursive: true, mode: DIR_MODE }).catch((error: unknown) => {
      ready = undefined
      throw error
    })
    await ready
    await mkdir(dir, { recursive: true, mode: DIR_MODE })
  }

  /**
   * Refuses a store another user could change. The root and its two directories are checked until all three
   * exist (once they are the user's and closed to others, no one else can replace them); a key's directory on
   * every read of it.
   */
  async function checkDirs(dir: string): Promise<boolean> {
    if (!trusted) {
      const found = await Promise.all([
        checkOwnDir(root, { follow: true }),
        checkOwnDir(join(root, 'keys')),
        checkOwnDir(tmpDir),
      ])
      trusted = found.every(Boolean)
    }
    return checkOwnDir(dir)
  }

  /** The newest generation of `kind` in `dir` (n = 0 and no data when there is none). */
  async function latest<T>(dir: string, kind: Kind): Promise<Generation<T>> {
    if (!(await checkDirs(dir))) return { n: 0, data: null }
    for (;;) {
      let names: string[]
      try {
        names = await readdir(dir)
      } catch (error) {
        if (isCode(error, 'ENOENT')) return { n: 0, data: null }
        throw error
      }
      const n = newest(names, kind)
      if (n === 0) return { n: 0, data: null }
      const text = await readOwnFile(join(dir, `${kind}.${n}`))
      // null: a newer generation was written and this one removed between the listing and the read.
      if (text !== null) return { n, data: JSON.parse(text) as T }
    }
  }

  /** Writes generation `n` of `kind`; false when another process wrote it first. */
  async function publish(dir: string, kind: Kind, n: number, data: unknown): Promise<boolean> {
    await ensureDir(dir)
    const tmp = join(tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`)
    await writeFile(tmp, JSON.stringify(data), { mode: FILE_MODE, flag: 'wx' })
    try {
      await link(tmp, join(dir, `${kind}.${n}`))
    } catch (error) {
      if (isCode(error, 'EEXIST')) return false
      throw error
    } finally {
      await unlink(tmp).catch(() => undefined)
    }
    await prune(dir, kind, n)
    return true
  }

  async function prune(dir: string, kind: Kind, below: number): Promise<void> {
    const names = await readdir(dir).catch(() => [] as string[])
    await Promise.all(
      names
        .filter((name) => generationOf(name, kind) < below && generationOf(name, kind) > 0)
        .map((name) => unlink(join(dir, name)).catch(() => undefined)),
    )
  }

  /** The live value record of `key`, or null when absent, deleted or expired. */
  function live(record: Record | null, versioned: boolean, key: string): Record | null {
    if (!record || record.value === null) return null
    if (record.expiresAt !== null && record.expiresAt <= clock.now()) return null
    if (record.versioned !== versioned) {
      throw new TypeError(`fileStore: key ${key} holds a ${record.versioned ? 'versioned' : 'plain'} value`)
    }
    return record
  }

  /** Reads the newest value generation, lets `decide` choose the next one, and writes it — atomically. */
  async function update<T>(
    key: string,
    decide: (current: Generation<Record>) => { write: Record | null; result: T },
  ): Promise<T> {
    const dir = keyDir(key)
    for (;;) {
      const current = await latest<Record>(dir, 'r')
      const { write, result } = decide(current)
      if (write === null || (await publish(dir, 'r', current.n + 1, write))) return result
    }
  }

  async function updateLock(
    key: string,
    decide: (current: LockRecord | null) => { write: LockRecord | null; result: boolean },
  ): Promise<boolean> {
    const dir = keyDir(key)
    for (;;) {
      const current = await latest<LockRecord>(dir, 'l')
      const held =
        current.data && current.data.owner !== null && current.data.expiresAt > clock.now()
          ? current.data
          : null
      const { write, result } = decide(held)
      if (write === null || (await publish(dir, 'l', current.n + 1, write))) return result
    }
  }

  const expiry = (ttlMs: number | undefined): number | null =>
    ttlMs === undefined ? null : clock.now() + ttlMs
  const deletion: Record = { value: null, version: 0, versioned: false, expiresAt: null }

  return {
    async get(key) {
      return live((await latest<Record>(keyDir(key), 'r')).data, false, key)?.value ?? null
    },
    set(key, value, opts = {}) {
      return update(key, ({ data }) => {
        live(data, false, key)
        return {
          write: { value, version: 1, versioned: false, expiresAt: expiry(opts.ttlMs) },
          result: undefined,
        }
      })
    },
    take(key) {
      return update(key, ({ data }) => {
        const record = live(data, false, key)
        return record ? { write: deletion, result: record.value } : { write: null, result: null }
      })
    },
    delete(key) {
      return update(key, ({ data }) =>
        data && data.value !== null
          ? { write: deletion, result: undefined }
          : { write: null, result: undefined },
      )
    },
    async getVersioned(key): Promise<Versioned | null> {
      const record = live((await latest<Record>(keyDir(key), 'r')).data, true, key)
      return record ? { value: record.value as string, version: record.version } : null
    },
    compareAndSet(key, value, opts): Promise<CompareAndSetResult> {
      return update<CompareAndSetResult>(key, ({ data }) => {
        const record = live(data, true, key)
        const current = record ? { value: record.value as string, version: record.version } : null
        if ((current?.version ?? null) !== opts.expectedVersion)
          return { write: null, result: { ok: false, current } }
        const version = (current?.version ?? 0) + 1
        return {
          write: { value, version, versioned: true, expiresAt: expiry(opts.ttlMs) },
          result: { ok: true, version },
        }
      })
    },
    acquireLock(key, opts) {
      return updateLock(key, (held) =>
        held
          ? { write: null, result: false }
          : { write: { owner: opts.owner, expiresAt: clock.now() + opts.leaseMs }, result: true },
      )
    },
    extendLock(key, opts) {
      return updateLock(key, (held) =>
        held?.owner === opts.owner
          ? { write: { owner: opts.owner, expiresAt: clock.now() + opts.leaseMs }, result: true }
          : { write: null, result: false },
      )
    },
    releaseLock(key, opts) {
      return updateLock(key, (held) =>
        held?.owner === opts.owner
          ? { write: { owner: null, expiresAt: 0 }, result: true }
          : { write: null, result: false },
      )
    },
    async waitForUnlock(key, opts) {
      const dir = keyDir(key)
      const { data } = await latest<LockRecord>(dir, 'l')
      if (!data || data.owner === null || data.expiresAt <= clock.now()) return
      // Any change in the key's directory (a release, a takeover, a write) wakes the waiter, which re-reads:
      // spurious wake-ups are allowed. The lease's end bounds the wait when the holder died.
      const leaseLeft = Math.max(0, data.expiresAt - clock.now())
      await new Promise<void>((resolve) => {
        let watcher: ReturnType<typeof watch> | undefined
        const done = (): void => {
          cancel()
          watcher?.close()
          resolve()
        }
        const cancel = setTimer(Math.min(opts.timeoutMs, leaseLeft + 1), done)
        try {
          watcher = watch(dir, { persistent: false }, done)
          watcher.on('error', done)
        } catch {
          done()
        }
        // A release between the read above and the watch starting would go unseen: look once more.
        latest<LockRecord>(dir, 'l').then(({ data: now }) => {
          if (!now || now.owner !== data.owner || now.expiresAt !== data.expiresAt) done()
        }, done)
      })
    },
  } satisfies StoragePort
}

function generationOf(name: string, kind: Kind): number {
  if (!name.startsWith(`${kind}.`)) return 0
  const n = Number(name.slice(2))
  return Number.isSafeInteger(n) ? n : 0
}

function newest(names: readonly string[], kind: Kind): number {
  let max = 0
  for (const name of names) max = Math.max(max, generationOf(name, kind))
  return max
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code
}
