import { fork } from 'node:child_process'
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFakeClock, storageContract } from '@workfront-oauth/core/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileStore } from './file-store.ts'

const dirs: string[] = []
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wf-file-store-'))
  dirs.push(dir)
  return dir
}
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })))
})

storageContract('file', { describe, it, expect, beforeEach, afterEach }, async () => {
  const clock = createFakeClock(Date.now())
  return { store: fileStore({ dir: await tempDir(), clock }), advance: async (ms) => clock.advance(ms) }
})

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries.map((entry) => join(entry.parentPath, entry.name))
}

describe('fileStore', () => {
  it('keeps files 0600 and directories 0700, whatever the umask, and leaves no temporary file', async () => {
    const dir = await tempDir()
    const previous = process.umask(0o000)
    try {
      const store = fileStore({ dir: join(dir, 'store') })
      await store.set('tx:1', 'secret')
      await store.compareAndSet('grant:1', 'g', { expectedVersion: null })
      await store.acquireLock('grant:1', { owner: 'o', leaseMs: 1_000 })
    } finally {
      process.umask(previous)
    }
    const paths = await filesUnder(join(dir, 'store'))
    expect(paths.length).toBeGreaterThan(0)
    for (const path of paths) {
      const { mode } = await stat(path)
      expect({ path, mode: mode & 0o777 }).toEqual({
        path,
        mode: (await stat(path)).isDirectory() ? 0o700 : 0o600,
      })
    }
    expect(await readdir(join(dir, 'store', 'tmp'))).toEqual([])
  })

  it('keeps one generation per key: older ones are removed after each write', async () => {
    const store = fileStore({ dir: await tempDir() })
    let version: number | null = null
    for (let i = 0; i < 5; i++) {
      const result = await store.compareAndSet('grant:g', `v${i}`, { expectedVersion: version })
      version = result.ok ? result.version : null
    }
    expect(await store.getVersioned('grant:g')).toEqual({ value: 'v4', version: 5 })
    const names = (await filesUnder(dirs.at(-1) as string)).filter((p) => /[/\\]r\.\d+$/.test(p))
    expect(names.length).toBe(1)
  })

  it('writes again once a directory it could not create can be created', async () => {
    const dir = await tempDir()
    const store = fileStore({ dir })
    // Where the store wants its temporary directory there is a file: the first write fails.
    await writeFile(join(dir, 'tmp'), '')
    await expect(store.set('k', 'a')).rejects.toThrow()
    await rm(join(dir, 'tmp'))
    await store.set('k', 'b')
    expect(await store.get('k')).toBe('b')
  })

  it('restarts versions at 1 when a key is deleted and written again', async () => {
    const store = fileStore({ dir: await tempDir() })
    await store.compareAndSet('k', 'a', { expectedVersion: null })
    await store.compareAndSet('k', 'b', { expectedVersion: 1 })
    await store.delete('k')
    expect(await store.compareAndSet('k', 'c', { expectedVersion: null })).toEqual({ ok: true, version: 1 })
  })

  it('shares values and locks between processes: 8 processes race for one lock and one take', async () => {
    const dir = await tempDir()
    const store = fileStore({ dir })
    await store.set('tx:race', 'once')
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => runHelper(dir, ['race', `p${i}`]).then((out) => JSON.parse(out))),
    )
    expect(results.filter((r: { locked: boolean }) => r.locked).length).toBe(1)
    expect(results.filter((r: { took: string | null }) => r.took === 'once').length).toBe(1)
  })

  it('hands the lock of a process killed while holding it to the next owner once its lease ends', async () => {
    const dir = await tempDir()
    let offset = 0
    const store = fileStore({ dir, clock: { now: () => Date.now() + offset } })
    await store.compareAndSet('grant:kill', 'before', { expectedVersion: null })
    // The child takes the lock with a 60 s lease, writes under it, says so and waits to be killed.
    const child = fork(HELPER, ['hold', dir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve())
      child.once('exit', (code) => reject(new Error(`helper exited early (${code})`)))
    })
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))

    expect(await store.acquireLock('grant:kill', { owner: 'next', leaseMs: 15_000 })).toBe(false)
    expect(await store.getVersioned('grant:kill')).toEqual({ value: 'written by the holder', version: 2 })
    // The lease of the dead holder runs out (the store's clock moves past it).
    offset = 61_000
    await store.waitForUnlock?.('grant:kill', { timeoutMs: 60_000 })
    expect(await store.acquireLock('grant:kill', { owner: 'next', leaseMs: 15_000 })).toBe(true)
    expect(await store.extendLock('grant:kill', { owner: 'holder', leaseMs: 60_000 })).toBe(false)
    expect(await store.releaseLock('grant:kill', { owner: 'holder' })).toBe(false)
    expect(await store.releaseLock('grant:kill', { owner: 'next' })).toBe(true)
  })
})

const HELPER = join(import.meta.dirname, 'test', 'file-store-helper.mjs')

function runHelper(dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(HELPER, [args[0] as string, dir, ...args.slice(1)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    })
    let out = ''
    child.stdout?.on('data', (chunk) => {
      out += chunk
    })
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`helper exited with ${code}`)),
    )
  })
}
