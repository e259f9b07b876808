/**
 * A config directory that another user could change is refused, as ssh refuses a loose `~/.ssh`. The tests
 * run as root and play the other user with uid 65534 ("nobody"): real directories and files, `chown`ed and
 * `chmod`ed, under a private temporary directory, and the built `workfront` in child processes.
 */
import { createHash } from 'node:crypto'
import { chmod, chown, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import type { Server } from 'node:http'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { MockServer } from './test/support.ts'
import { PUBLIC_CLIENT, runCLI, signIn, startMockServer, tempConfigDir, WEB_CLIENT } from './test/support.ts'

const OTHER = 65_534

let server: MockServer
let base: Awaited<ReturnType<typeof tempConfigDir>>
/** The config directory of each test: `<base>/<n>/workfront`, created by the test as it needs it. */
let dir: string
let env: Record<string, string>
let n = 0

beforeAll(async () => {
  server = await startMockServer(1)
  base = await tempConfigDir()
})

afterAll(async () => {
  await server?.close()
  await base?.remove()
})

beforeEach(async () => {
  const parent = join(base.dir, String(++n))
  await mkdir(parent, { mode: 0o755 })
  dir = join(parent, 'workfront')
  env = { WORKFRONT_CONFIG_DIR: dir }
})

/** A sign-in that gives up after 2 s: where the checks do not stop it, it exits 6. */
const loginArgs = (options: { tenant?: boolean } = {}): string[] => [
  'login',
  '--no-browser',
  ...(options.tenant === false ? [] : ['--tenant', server.origin]),
  '--client-id',
  PUBLIC_CLIENT,
  '--port',
  String(server.ports[0]),
  '--timeout',
  '2',
]

/** The error of `workfront <args> --json`, and its exit code. */
async function refusal(
  args: string[],
): Promise<{ code: number | null; error: { code: string; message: string } }> {
  const result = await runCLI([...args, '--json'], env)
  expect(result.stdout).toBe('')
  return {
    code: result.code,
    error: (JSON.parse(result.stderr) as { error: { code: string; message: string } }).error,
  }
}

describe('the config directory', () => {
  it('is refused when another user owns it: every command exits 3 before reading or listening', async () => {
    await mkdir(dir, { mode: 0o700 })
    await chown(dir, OTHER, OTHER)
    for (const args of [['token'], ['status'], loginArgs()]) {
      expect(await refusal(args)).toEqual({
        code: 3,
        error: {
          code: 'insecure_config',
          message: expect.stringContaining(`${dir} belongs to another user (uid ${OTHER})`),
        },
      })
    }
    // Nothing was created in it, nothing listened.
    expect(await readdir(dir)).toEqual([])
  })

  it.each(['777', '770', '720'])(
    'is refused when others can write to it (mode %s), with the chmod that fixes it',
    async (mode) => {
      await mkdir(dir)
      await chmod(dir, Number.parseInt(mode, 8))
      const result = await runCLI(['token'], env)
      expect(result.code).toBe(3)
      expect(result.stderr).toBe(
        `workfront: ${dir} can be written to by other users; make it private with: chmod 700 ${dir}\n`,
      )
      await chmod(dir, 0o700)
      // Fixed: the command runs (and says there is no sign-in yet).
      expect((await runCLI(['token'], env)).code).toBe(4)
    },
  )

  it('is refused when a directory above it can be written to by others, unless that one is sticky (/tmp)', async () => {
    const parent = join(dir, '..')
    await mkdir(dir, { mode: 0o700 })
    await chmod(parent, 0o777)
    // The same when it does not exist yet: it would be created there.
    for (const config of [dir, join(dir, 'not-yet')]) {
      const result = await runCLI(['token'], { WORKFRONT_CONFIG_DIR: config })
      expect(result.code).toBe(3)
      expect(result.stderr).toContain(`${parent} can be written to by other users, who could replace `)
      expect(result.stderr).toContain(`chmod go-w ${parent}`)
    }
    await chmod(parent, 0o1777)
    expect((await runCLI(['token'], env)).code).toBe(4)
    await chown(parent, OTHER, OTHER)
    const owned = await runCLI(['token'], env)
    expect(owned.code).toBe(3)
    expect(owned.stderr).toContain(
      `${parent} belongs to another user (uid ${OTHER}), who could replace ${dir}`,
    )
  })

  it('follows a symbolic link to the directory, and checks where it leads', async () => {
    const real = join(dir, '..', 'real')
    await mkdir(real, { mode: 0o777 })
    await chmod(real, 0o777)
    await symlink(real, dir)
    const result = await runCLI(['token'], env)
    expect(result.code).toBe(3)
    expect(result.stderr).toContain(`chmod 700 ${real}`)
    await chmod(real, 0o700)
    expect((await runCLI(['token'], env)).code).toBe(4)
  })
})

describe('what another user planted in it', () => {
  /** A config directory that is the user's and private, as a previous sign-in leaves it. */
  async function signedIn(): Promise<void> {
    expect((await signIn(env, server, { port: server.ports[0] as number })).code).toBe(0)
  }

  it('a profile that sends the sign-in and the client secret to their server is never used', async () => {
    // Their "Workfront": a loopback server that records what reaches it.
    const reached: string[] = []
    const theirs: Server = createServer((req, res) => {
      reached.push(`${req.method} ${req.url}`)
      res.end()
    })
    await new Promise<void>((resolve) => theirs.listen(0, '127.0.0.1', resolve))
    try {
      const origin = `http://127.0.0.1:${(theirs.address() as AddressInfo).port}`
      await mkdir(join(dir, 'profiles'), { recursive: true, mode: 0o700 })
      const profile = join(dir, 'profiles', 'default.json')
      const planted = {
        origin,
        clientId: WEB_CLIENT,
        confidential: true,
        clientAuth: 'post',
        port: server.ports[0],
        apiVersion: 'v21.0',
        grantId: null,
        user: null,
      }
      await writeFile(profile, JSON.stringify(planted), { mode: 0o644 })
      await chown(profile, OTHER, OTHER)
      const withSecret = { ...env, WORKFRONT_CLIENT_SECRET: 'the-victims-secret' }
      // `login` without --tenant would take the org from the profile.
      const login = await runCLI(loginArgs({ tenant: false }), withSecret)
      expect(login.code).toBe(3)
      expect(login.stderr).toContain(`${profile} belongs to another user (uid ${OTHER})`)
      expect(login.stderr).not.toContain(origin)
      // Their own file made writable by everyone is refused too; so is a symbolic link to it.
      await chown(profile, 0, 0)
      await chmod(profile, 0o666)
      const writable = await runCLI(['status'], withSecret)
      expect(writable.code).toBe(3)
      expect(writable.stderr).toContain(`chmod 600 ${profile}`)
      await chmod(profile, 0o600)
      const other = join(dir, 'profiles', 'other.json')
      await symlink(profile, other)
      const linked = await runCLI(['token', '--profile', 'other'], withSecret)
      expect(linked.code).toBe(3)
      expect(linked.stderr).toContain(`${other} is a symbolic link`)
      expect(reached).toEqual([])
    } finally {
      await new Promise((resolve) => theirs.close(resolve))
    }
  })

  it('a sign-in lock that would make the login exit 6 is refused, naming what to remove', async () => {
    // A lock of `login:default` that never expires, in the file store's layout.
    const keyDir = join(dir, 'store', 'keys', createHash('sha256').update('login:default').digest('hex'))
    await mkdir(keyDir, { recursive: true, mode: 0o700 })
    await mkdir(join(dir, 'store', 'tmp'), { mode: 0o700 })
    const lock = join(keyDir, 'l.1')
    await writeFile(lock, JSON.stringify({ owner: 'theirs', expiresAt: Date.now() + 86_400_000 }), {
      mode: 0o600,
    })
    await chown(lock, OTHER, OTHER)
    const byFile = await refusal(loginArgs())
    expect(byFile).toEqual({
      code: 3,
      error: { code: 'insecure_config', message: expect.stringContaining(`${lock} belongs to another user`) },
    })
    await chown(keyDir, OTHER, OTHER)
    expect((await refusal(loginArgs())).error.message).toContain(`${keyDir} belongs to another user`)
  })

  it('a stored grant file of theirs is refused; so is a store directory others can write to', async () => {
    await signedIn()
    const grants = await readdir(join(dir, 'store', 'keys'), { recursive: true })
    const records = grants
      .filter((path) => /\/r\.\d+$/.test(path))
      .map((path) => join(dir, 'store', 'keys', path))
    expect(records.length).toBeGreaterThan(0)
    for (const record of records) await chown(record, OTHER, OTHER)
    const token = await refusal(['token'])
    expect(token.code).toBe(3)
    expect(token.error).toMatchObject({
      code: 'insecure_config',
      message: expect.stringMatching(/belongs to another user \(uid 65534\)/),
    })
    for (const record of records) await chown(record, 0, 0)
    expect((await runCLI(['token'], env)).code).toBe(0)

    await chmod(join(dir, 'store', 'tmp'), 0o733)
    const tmp = await runCLI(['token'], env)
    expect(tmp.code).toBe(3)
    expect(tmp.stderr).toContain(`chmod 700 ${join(dir, 'store', 'tmp')}`)
  })
})

describe('the key file', () => {
  let key: string
  beforeEach(async () => {
    await mkdir(dir, { mode: 0o700 })
    key = join(dir, 'key.json')
  })

  it('is refused when it is a symbolic link, even to a private key file of the user', async () => {
    const elsewhere = join(dir, '..', 'elsewhere.json')
    await writeFile(elsewhere, JSON.stringify({ key: Buffer.alloc(32, 1).toString('base64url') }), {
      mode: 0o600,
    })
    await symlink(elsewhere, key)
    expect(await refusal(loginArgs())).toEqual({
      code: 3,
      error: {
        code: 'insecure_key_file',
        message: `${key} is a symbolic link, which could lead anywhere: replace it with the file itself, or remove it`,
      },
    })
  })

  it('is refused when it is a link to nowhere (where a key of theirs could appear), instead of looping', async () => {
    await symlink(join(dir, '..', 'missing.json'), key)
    const { code, error } = await refusal(loginArgs())
    expect(code).toBe(3)
    expect(error.code).toBe('insecure_key_file')
  })

  it('is refused when another user owns it, even private', async () => {
    await writeFile(key, JSON.stringify({ key: Buffer.alloc(32, 2).toString('base64url') }), { mode: 0o600 })
    await chown(key, OTHER, OTHER)
    expect((await refusal(loginArgs())).error).toEqual({
      code: 'insecure_key_file',
      message: expect.stringContaining(`${key} belongs to another user (uid ${OTHER})`),
    })
    expect(JSON.parse(await readFile(key, 'utf8'))).toHaveProperty('key')
  })
})
