/**
 * The commands' edges, with the built `workfront` in child processes against the Workfront mock over HTTP:
 * help, profiles, the API call's options, terminal vs pipe output, `--json` errors, and the key file.
 */
import { spawn } from 'node:child_process'
import { chmod, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from './cli.ts'
import type { MockServer } from './test/support.ts'
import { BIN, runCLI, signIn, startMockServer, tempConfigDir } from './test/support.ts'

let server: MockServer
let config: Awaited<ReturnType<typeof tempConfigDir>>
let env: Record<string, string>
const requests: Array<{ method: string; path: string; contentType: string | null; body: string }> = []

beforeAll(async () => {
  server = await startMockServer(3, {
    async intercept(request, forward) {
      const body = request.method === 'GET' ? '' : await request.clone().text()
      requests.push({
        method: request.method,
        path: new URL(request.url).pathname,
        contentType: request.headers.get('content-type'),
        body,
      })
      return forward(request)
    },
  })
  config = await tempConfigDir()
  env = { WORKFRONT_CONFIG_DIR: config.dir }
  expect((await signIn(env, server, { port: server.ports[0] as number })).code).toBe(0)
})

afterAll(async () => {
  await server?.close()
  await config?.remove()
})

describe('help', () => {
  it.each(Object.keys(COMMANDS))('workfront %s --help shows usage, options and examples', async (name) => {
    const result = await runCLI([name, '--help'], env)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`Usage\n  workfront ${name}`)
    expect(result.stdout).toContain('Global options')
    expect(result.stdout).toMatch(new RegExp(`Examples\\n  \\$ .*workfront ${name}`))
    expect((await runCLI(['help', name], env)).stdout).toBe(result.stdout)
  })

  it('lists the commands; exits 2 on no command, an unknown command or an unknown option', async () => {
    const help = await runCLI(['--help'], env)
    expect(help.code).toBe(0)
    for (const name of Object.keys(COMMANDS)) expect(help.stdout).toContain(`  ${name} `)
    expect((await runCLI([], env)).code).toBe(2)
    const unknown = await runCLI(['frobnicate'], env)
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'workfront: Unknown command frobnicate. Run workfront --help for the list.\n',
    })
    const flag = await runCLI(['token', '--bogus'], env)
    expect(flag.code).toBe(2)
    expect(flag.stderr).toContain('Run workfront token --help for its options.')
    expect(JSON.parse((await runCLI(['frobnicate', '--json'], env)).stderr)).toEqual({
      error: { code: 'usage', message: 'Unknown command frobnicate. Run workfront --help for the list.' },
    })
  })
})

describe('profiles', () => {
  it('keeps two sign-ins apart; signing in again replaces the grant and ends its session; logout one', async () => {
    expect((await signIn(env, server, { port: server.ports[1] as number, profile: 'second' })).code).toBe(0)
    const first = (await runCLI(['token'], env)).stdout.trim()
    const second = (await runCLI(['token', '--profile', 'second'], env)).stdout.trim()
    expect(first).not.toBe(second)
    expect((await runCLI(['token'], { ...env, WORKFRONT_PROFILE: 'second' })).stdout.trim()).toBe(second)

    const status = await runCLI(['status', '--json'], env)
    expect(status.code).toBe(0)
    expect(
      (JSON.parse(status.stdout) as Array<{ profile: string; state: string }>).map((p) => [
        p.profile,
        p.state,
      ]),
    ).toEqual([
      ['default', 'signed in'],
      ['second', 'signed in'],
    ])

    // Again, without flags: the profile remembers the org, the app and the port.
    expect((await signIn(env, server, { port: server.ports[1] as number, profile: 'second' })).code).toBe(0)
    const replaced = await fetch(`${server.origin}/attask/api/v21.0/session`, {
      headers: { sessionID: second },
    })
    expect(replaced.status).toBe(401)

    expect((await runCLI(['logout', '--profile', 'second'], env)).code).toBe(0)
    const after = await runCLI(['status'], env)
    expect(after.code).toBe(4)
    expect(after.stdout).toContain('default: signed in as Dana Demo (demo@acme.test)')
    expect(after.stdout).toContain('second: signed out')
    expect((await runCLI(['token'], env)).stdout.trim()).toBe(first)
    const one = await runCLI(['status', '--profile', 'default', '--json'], env)
    expect(one.code).toBe(0)
    expect((JSON.parse(one.stdout) as unknown[]).length).toBe(1)
  })

  it('warns at sign-in when the API version is deprecated, and uses it', async () => {
    const login = await signIn(env, server, {
      port: server.ports[2] as number,
      profile: 'old',
      extra: ['--api-version', 'v15.0'],
    })
    expect(login.code).toBe(0)
    expect(login.stderr).toContain(
      'Warning: Workfront API v15.0 is deprecated (still served, no longer supported)',
    )
    requests.length = 0
    expect((await runCLI(['api', 'proj/count', '--profile', 'old'], env)).code).toBe(0)
    expect(requests.map((r) => r.path)).toEqual(['/attask/api/v15.0/proj/count'])
  })

  it('refuses a tenant outside the Workfront host families, before anything listens or is sent', async () => {
    const result = await runCLI(
      ['login', '--tenant', 'evil.example.com', '--client-id', 'x', '--no-browser'],
      env,
    )
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('That Workfront tenant is not allowed')
    expect(result.stderr).not.toContain('Open this URL')
  })

  it('refuses a malformed profile name', async () => {
    const result = await runCLI(['token', '--profile', '../etc'], env)
    expect(result.code).toBe(2)
  })

  it('says which flags sign in a profile that never signed in; a saved one needs none', async () => {
    const never = await runCLI(['token', '--profile', 'never'], env)
    expect(never).toMatchObject({
      code: 4,
      stderr:
        'workfront: Profile never has never signed in\n' +
        'Sign in with: workfront login --tenant <org> --client-id <id> --profile never\n',
    })
    const json = await runCLI(['token', '--json'], {
      ...env,
      WORKFRONT_CONFIG_DIR: join(config.dir, 'empty'),
    })
    expect(JSON.parse(json.stderr).error.hint).toBe(
      'Sign in with: workfront login --tenant <org> --client-id <id>',
    )
  })
})

describe('api', () => {
  it('refreshes a session that Workfront rejects and retries the call once', async () => {
    server.mock.expireAllSessions()
    server.mock.resetCounters()
    const result = await runCLI(['api', 'proj/count'], env)
    expect(result).toMatchObject({ code: 0, stdout: '{"data":{"count":12}}' })
    const counters = server.mock.counters()
    expect(counters.tokenCalls.refresh_token).toBe(1)
    expect(counters.apiCalls).toEqual({ '200': 1, '401': 1 })
  })

  it('sends --input as a JSON body, from a file or from stdin', async () => {
    const file = join(config.dir, 'body.json')
    await writeFile(file, '{"name":"From a file"}')
    requests.length = 0
    const fromFile = await runCLI(['api', 'proj', '-X', 'POST', '--input', file], env)
    // The mock has no object creation (404): Workfront's answer goes to stdout, the summary to stderr, exit 1.
    expect(fromFile.code).toBe(1)
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ error: { class: expect.any(String) } })
    expect(fromFile.stderr).toContain('Workfront answered HTTP 404, com.attask.common.NotFoundException')
    const fromStdin = await runCLI(
      ['api', 'proj', '-X', 'POST', '--input', '-'],
      env,
      '{"name":"From stdin"}',
    )
    expect(fromStdin.code).toBe(1)
    expect(requests.filter((r) => r.method === 'POST').map((r) => [r.contentType, r.body])).toEqual([
      ['application/json', '{"name":"From a file"}'],
      ['application/json', '{"name":"From stdin"}'],
    ])
  })

  it('refuses bad command lines before calling Workfront', async () => {
    requests.length = 0
    expect((await runCLI(['api'], env)).code).toBe(2)
    expect((await runCLI(['api', 'proj/search', '-f', 'novalue'], env)).code).toBe(2)
    expect((await runCLI(['api', 'proj/search', '-X', 'PATCH'], env)).code).toBe(2)
    expect((await runCLI(['api', 'proj/search', '-X', 'PUT', '--paginate'], env)).code).toBe(2)
    expect((await runCLI(['api', 'proj', '--input', join(config.dir, 'missing.json')], env)).code).toBe(2)
    const outside = await runCLI(['api', '../../integrations/oauth2/api/v1/token', '--json'], env)
    expect(outside.code).toBe(2)
    expect(JSON.parse(outside.stderr)).toMatchObject({ error: { code: 'invalid_path' } })
    expect(requests).toEqual([])
  })

  it('indents JSON on a terminal and prints it as received when piped', async () => {
    const piped = await runCLI(['api', 'proj/count'], env)
    expect(piped.stdout).toBe('{"data":{"count":12}}')
    // A pseudo-terminal (util-linux `script`) for stdout.
    const tty = await new Promise<string>((resolve) => {
      const child = spawn('script', ['-qec', `"${process.execPath}" "${BIN}" api proj/count`, '/dev/null'], {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      })
      let out = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
      })
      child.once('close', () => resolve(out))
    })
    expect(tty.replaceAll('\r\n', '\n')).toBe('{\n  "data": {\n    "count": 12\n  }\n}\n')
  })
})

describe('token', () => {
  it('--no-check prints the stored session without asking Workfront', async () => {
    const before = server.mock.counters().apiCalls
    const result = await runCLI(['token', '--no-check'], env)
    expect(result.code).toBe(0)
    expect(server.mock.counters().apiCalls).toEqual(before)
    expect((await runCLI(['token'], env)).stdout).toBe(result.stdout)
  })
})

describe('the key file', () => {
  it('refuses a key file that others can read, and says to sign in again when the key changed', async () => {
    const path = join(config.dir, 'key.json')
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ key: expect.stringMatching(/^[\w-]{43}$/) })
    await chmod(path, 0o644)
    const open = await runCLI(['token'], env)
    expect(open.code).toBe(3)
    expect(open.stderr).toContain(`chmod 600 ${path}`)
    await chmod(path, 0o600)

    await writeFile(path, JSON.stringify({ key: Buffer.alloc(32, 7).toString('base64url') }), {
      mode: 0o600,
    })
    const changed = await runCLI(['token', '--json'], env)
    expect(changed.code).toBe(4)
    expect(JSON.parse(changed.stderr)).toMatchObject({ error: { code: 'decryption_failed' } })
  })
})
