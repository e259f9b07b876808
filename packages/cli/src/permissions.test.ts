/**
 * The ownership and mode checks on real files and directories (the tests run as root; "another user" is uid
 * 65534, and a non-root user is played by passing `trust: { uid }`), and the file store refusing what another
 * user could have changed.
 */
import { execFile } from 'node:child_process'
import { chmod, chown, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { fileStore } from './file-store.ts'
import { checkOwnDir, checkPrivateTree, InsecureFileError, readOwnFile } from './permissions.ts'

const OTHER = 65_534
/** A user who is neither root nor OTHER. */
const USER = 65_533

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wf-permissions-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

async function refused(promise: Promise<unknown>): Promise<InsecureFileError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(InsecureFileError)
  return error as InsecureFileError
}

describe('checkPrivateTree (ssh StrictModes)', () => {
  it("accepts a user's private directory under root's directories and a sticky /tmp", async () => {
    const dir = join(await tempDir(), 'config')
    await mkdir(dir, { mode: 0o700 })
    await chown(dir, USER, USER)
    // mkdtemp's directory is root's 0700 under /tmp (1777, root's), under / (root's).
    await expect(checkPrivateTree(dir, { trust: { uid: USER } })).resolves.toBeUndefined()
  })

  it('refuses a directory above that belongs to another user who is not root', async () => {
    const parent = join(await tempDir(), 'parent')
    const dir = join(parent, 'config')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chown(dir, USER, USER)
    await chown(parent, OTHER, OTHER)
    const error = await refused(checkPrivateTree(dir, { trust: { uid: USER } }))
    expect(error.path).toBe(parent)
  })

  it('stops at the home directory, as ssh does: what is above it is not the user’s to fix', async () => {
    const shared = await tempDir()
    await chmod(shared, 0o777)
    const home = join(shared, 'home')
    const dir = join(home, '.config', 'workfront-oauth')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    for (const path of [home, join(home, '.config'), dir]) await chown(path, USER, USER)
    await expect(checkPrivateTree(dir, { trust: { uid: USER }, home })).resolves.toBeUndefined()
    // Outside the home directory, the walk goes on to / and meets the loose directory.
    const error = await refused(checkPrivateTree(dir, { trust: { uid: USER }, home: '/nonexistent' }))
    expect(error.path).toBe(shared)
    // The home directory itself is checked.
    await chmod(home, 0o775)
    expect((await refused(checkPrivateTree(dir, { trust: { uid: USER }, home }))).path).toBe(home)
  })

  it('checks nothing where there are no POSIX owners (Windows)', async () => {
    const dir = await tempDir()
    await chmod(dir, 0o777)
    await expect(checkPrivateTree(dir, { trust: { uid: null } })).resolves.toBeUndefined()
  })
})

describe('readOwnFile and checkOwnDir', () => {
  it('reads a private file; null when missing', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'f'), 'text', { mode: 0o600 })
    expect(await readOwnFile(join(dir, 'f'))).toBe('text')
    expect(await readOwnFile(join(dir, 'missing'))).toBeNull()
    expect(await checkOwnDir(join(dir, 'missing'))).toBe(false)
  })

  it('refuses a file others can write to, and a secret others can read', async () => {
    const dir = await tempDir()
    const file = join(dir, 'f')
    await writeFile(file, 'text')
    await chmod(file, 0o644)
    expect(await readOwnFile(file)).toBe('text')
    expect((await refused(readOwnFile(file, { secret: true }))).message).toBe(
      `${file} can be read by other users; make it private with: chmod 600 ${file}`,
    )
    await chmod(file, 0o620)
    expect((await refused(readOwnFile(file))).message).toBe(
      `${file} can be changed by other users; make it private with: chmod 600 ${file}`,
    )
  })

  it('refuses a symbolic link, a named pipe (without blocking on it) and a directory', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'real'), 'text', { mode: 0o600 })
    await symlink(join(dir, 'real'), join(dir, 'link'))
    expect((await refused(readOwnFile(join(dir, 'link')))).message).toContain('is a symbolic link')
    await promisify(execFile)('mkfifo', ['-m', '600', join(dir, 'pipe')])
    expect((await refused(readOwnFile(join(dir, 'pipe')))).message).toContain('is not a regular file')
    await mkdir(join(dir, 'sub'), { mode: 0o700 })
    expect((await refused(readOwnFile(join(dir, 'sub')))).message).toContain('is not a regular file')
    await symlink(join(dir, 'sub'), join(dir, 'sublink'))
    expect((await refused(checkOwnDir(join(dir, 'sublink')))).message).toContain('is a symbolic link')
    expect(await checkOwnDir(join(dir, 'sublink'), { follow: true })).toBe(true)
  })

  it("accepts root's files for any user (root can change anything anyway), refuses another user's", async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'f'), 'text', { mode: 0o600 })
    expect(await readOwnFile(join(dir, 'f'), { trust: { uid: USER } })).toBe('text')
    await chown(join(dir, 'f'), OTHER, OTHER)
    const error = await refused(readOwnFile(join(dir, 'f'), { trust: { uid: USER } }))
    expect(error).toMatchObject({ name: 'InsecureFileError', code: 'insecure_file', path: join(dir, 'f') })
  })
})

describe('fileStore refuses what another user could have changed', () => {
  /** A store with one versioned record and a lock, and the paths of its files. */
  async function usedStore(): Promise<{ root: string; files: string[] }> {
    const root = join(await tempDir(), 'store')
    const store = fileStore({ dir: root })
    await store.compareAndSet('grant:1', 'g', { expectedVersion: null })
    await store.acquireLock('grant:1', { owner: 'o', leaseMs: 60_000 })
    const files = (await readdir(join(root, 'keys'), { recursive: true })).map((p) => join(root, 'keys', p))
    return { root, files }
  }

  it('a record or a lock file of another user, or one others can write to', async () => {
    const { root, files } = await usedStore()
    const record = files.find((f) => /\/r\.\d+$/.test(f)) as string
    const lock = files.find((f) => /\/l\.\d+$/.test(f)) as string
    await chown(record, OTHER, OTHER)
    // A fresh store, as the next process opens it.
    expect((await refused(fileStore({ dir: root }).getVersioned('grant:1'))).path).toBe(record)
    await chown(record, 0, 0)
    await chmod(lock, 0o666)
    expect(
      (await refused(fileStore({ dir: root }).acquireLock('grant:1', { owner: 'x', leaseMs: 1 }))).path,
    ).toBe(lock)
  })

  it("a key's directory of another user, or a symbolic link in its place", async () => {
    const { root, files } = await usedStore()
    const keyDir = join(files[0] as string, '..')
    await chown(keyDir, OTHER, OTHER)
    expect((await refused(fileStore({ dir: root }).getVersioned('grant:1'))).path).toBe(keyDir)
    await chown(keyDir, 0, 0)
    await rm(keyDir, { recursive: true })
    await mkdir(join(root, 'elsewhere'), { mode: 0o700 })
    await symlink(join(root, 'elsewhere'), keyDir)
    expect(
      (
        await refused(
          fileStore({ dir: root })
            .set('grant:1', 'x')
            .then(() => undefined),
        )
      ).path,
    ).toBe(keyDir)
  })

  it('a store directory others can write to; a symbolic link to a private one is followed', async () => {
    const { root } = await usedStore()
    await chmod(root, 0o777)
    expect((await refused(fileStore({ dir: root }).get('tx:1'))).message).toBe(
      `${root} can be written to by other users; make it private with: chmod 700 ${root}`,
    )
    await chmod(root, 0o700)
    const link = join(root, '..', 'link')
    await symlink(root, link)
    expect(await fileStore({ dir: link }).getVersioned('grant:1')).toEqual({ value: 'g', version: 1 })
  })
})
