/**
 * docs/running-in-production.md's Dockerfile and compose file. There is no Docker engine where these tests
 * run, so they are checked by an equivalent test:
 *
 * - lint: the files are parsed and held to what the app needs (pinned images, a non-root user, the exec form
 *   of CMD, the port the proxy dials, every variable part of the app's environment contract, every `${VAR}`
 *   in `.env.example`…);
 * - run: the image's final stage — its WORKDIR, ENV and CMD — as two processes with the compose file's
 *   environment, against a real `redis-server` (for the `redis` service) and the Workfront mock (for the
 *   org), on loopback ports: a sign-in started on one instance ends on the other, a refresh storm across
 *   both makes one token call, and SIGTERM (what `docker stop` sends) ends both cleanly.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { DEMO_USER } from '@workfront-oauth/workfront-mock'
import { completeAuthorization } from '@workfront-oauth/workfront-mock/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { NODE_ONLY_VARIABLES, WORKER_VARIABLES } from '../../apps/edge-demo/src/dev/contract.ts'
import { appVariables, setUpWorkfront } from './getting-started.ts'
import { createBrowser, freePort } from './http.ts'
import { ROOT } from './markdown.ts'

const DIR = join(ROOT, 'examples/production')
const read = (name: string): string => readFileSync(join(DIR, name), 'utf8')

interface Instruction {
  op: string
  args: string
}

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function instructions(text: string): Instruction[] {
  const joined = text.replace(/\\\n/g, ' ')
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/)
      return { op: op.toUpperCase(), args: rest.join(' ') }
    })
}

const dockerfile = instructions(read('Dockerfile'))
const finalStage = dockerfile.slice(dockerfile.findLastIndex((i) => i.op === 'FROM'))
const env = Object.fromEntries(
  finalStage
    .filter((i) => i.op === 'ENV')
    .flatMap((i) => [...i.args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])),
)
const cmd = JSON.parse(finalStage.find((i) => i.op === 'CMD')?.args ?? 'null') as string[]
const workdir = finalStage.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? ''
const compose = parse(read('compose.yaml')) as {
  services: Record<
    string,
    {
      image?: string
      build?: { context: string; dockerfile: string }
      environment?: Record<string, string>
      deploy?: { replicas?: number }
      command?: string[]
      ports?: string[]
    }
  >
}
const app = compose.services.app!

describe('Dockerfile (lint)', () => {
  it('builds on a pinned Node 20 image, with the pnpm of the repository, from the lockfile', () => {
    const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0]!)
    expect(froms.length).toBeGreaterThan(0)
    for (const image of froms) expect(image).toMatch(/^node:20\.\d+-bookworm-slim$/)
    const pnpm = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string })
      .packageManager
    const runs = dockerfile.filter((i) => i.op === 'RUN').map((i) => i.args)
    expect(runs.join('\n')).toContain(`npm install --global ${pnpm}`)
    expect(runs.join('\n')).toContain('pnpm install --frozen-lockfile')
  })

  it('runs the built Node entry as a non-root user, in exec form, on the port it exposes', () => {
    expect(finalStage.find((i) => i.op === 'USER')?.args).toBe('node')
    expect(cmd).toEqual(['node', 'dist/node/node.mjs'])
    expect(finalStage.find((i) => i.op === 'EXPOSE')?.args).toBe(env.PORT)
    expect(env.HOST).toBe('0.0.0.0')
    // The image's /repo is the repository: the CMD's file is what `turbo run build --filter=edge-demo...` makes.
    expect(workdir.startsWith('/repo/')).toBe(true)
    expect(existsSync(join(ROOT, workdir.slice('/repo/'.length), cmd[1]!))).toBe(true)
  })

  it('keeps dependencies, build output and secrets out of the build context', () => {
    const ignored = read('Dockerfile.dockerignore').split('\n')
    for (const pattern of ['**/node_modules', '**/dist', '**/.env', '**/.dev.vars', '.git']) {
      expect(ignored).toContain(pattern)
    }
  })
})

describe('compose.yaml (lint)', () => {
  it('builds the app from this Dockerfile with the repository as context', () => {
    expect(resolve(DIR, app.build!.context)).toBe(ROOT)
    expect(resolve(ROOT, app.build!.dockerfile)).toBe(join(DIR, 'Dockerfile'))
  })

  it('gives the app only variables of its environment contract, the same to every replica', () => {
    const contract = new Set<string>([...WORKER_VARIABLES, ...NODE_ONLY_VARIABLES])
    expect(Object.keys(app.environment!).filter((name) => !contract.has(name))).toEqual([])
    expect(app.deploy?.replicas).toBeGreaterThanOrEqual(2)
    expect(app.environment!.PUBLIC_URL).toMatch(/^https:\/\//)
    // REDIS_URL names the redis service, which keeps its data.
    const redisHost = new URL(app.environment!.REDIS_URL!).hostname
    expect(compose.services[redisHost]?.image).toMatch(/^redis:\d/)
    // Kept across restarts, never evicted (docs/operations.md#redis).
    expect(compose.services[redisHost]?.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    )
  })

  it('pins every image and lists every variable it reads in .env.example', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (service.image) expect(service.image, name).toMatch(/:(?!latest$)[\w.-]+$/)
    }
    const used = new Set([...read('compose.yaml').matchAll(/\$\{(\w+)/g)].map((m) => m[1]!))
    const listed = new Set([...read('.env.example').matchAll(/^(\w+)=/gm)].map((m) => m[1]!))
    expect([...used].filter((name) => !listed.has(name))).toEqual([])
  })

  it("points the proxy at the app service on the image's port", () => {
    const upstream = /dynamic a (\w+) (\d+)/.exec(read('Caddyfile'))
    expect(upstream?.[1]).toBe('app')
    expect(upstream?.[2]).toBe(env.PORT)
    expect(compose.services.proxy?.ports).toEqual(['80:80', '443:443'])
  })
})

describe('the image run as compose runs it (two instances, one Redis)', () => {
  const children: ChildProcess[] = []
  const closers: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    for (const close of closers.reverse()) await close()
  })

  /** The CMD in the WORKDIR with the ENV, as the container would, on a loopback port. */
  async function startInstance(
    variables: Record<string, string>,
    port: number,
  ): Promise<{ url: string; child: ChildProcess }> {
    const child = spawn(process.execPath, cmd.slice(1), {
      cwd: join(ROOT, workdir.slice('/repo/'.length)),
      env: { PATH: process.env.PATH ?? '', ...env, ...variables, HOST: '127.0.0.1', PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let output = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk
    })
    await new Promise<void>((ready, fail) => {
      child.stdout!.on('data', () => {
        if (output.includes('listening on')) ready()
      })
      child.once('exit', (code) => fail(new Error(`the instance exited (${code}):\n${output}`)))
    })
    return { url: `http://127.0.0.1:${port}`, child }
  }

  it('signs in across instances, refreshes once for both, stops on SIGTERM', async () => {
    const redis = await startRedisServer()
    closers.push(() => redis.stop())
    // Without the proxy, instance A's address stands for the public one (PUBLIC_URL).
    const workfront = await setUpWorkfront()
    closers.push(workfront.close)
    const { mock, publicUrl } = workfront
    const variables: Record<string, string> = {
      ...app.environment!,
      ...appVariables(publicUrl, workfront.origin),
      REDIS_URL: redis.url,
    }
    const portA = workfront.port
    const a = await startInstance(variables, portA)
    const b = await startInstance(variables, await freePort())

    const browser = createBrowser(publicUrl)
    const login = await browser.request(`${a.url}/auth/login`)
    const callback = await completeAuthorization({ fetch }, login.headers.get('location')!, {
      username: DEMO_USER.username,
      password: DEMO_USER.password,
    })
    // The callback reaches the other instance: the sign-in in progress is in Redis.
    const onB = new URL(`${callback.pathname}${callback.search}`, b.url)
    const back = await fetch(onB, {
      headers: { cookie: [...browser.jar].map(([n, v]) => `${n}=${v}`).join('; ') },
      redirect: 'manual',
    })
    expect(back.status).toBe(302)
    const session = back.headers.getSetCookie().find((line) => line.startsWith('wf_session='))!
    const cookie = session.split(';')[0]!

    mock.expireAllSessions()
    const storm = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${i % 2 ? a.url : b.url}/api/projects`, { headers: { cookie, accept: 'application/json' } }),
      ),
    )
    expect(storm.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(mock.counters().tokenCalls.refresh_token).toBe(1)
    expect(mock.counters().refreshReuses).toBe(0)

    for (const instance of [a, b]) {
      const exited = once(instance.child, 'exit')
      instance.child.kill('SIGTERM')
      expect((await exited)[0]).toBe(0)
    }
  })
})
