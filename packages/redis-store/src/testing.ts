/**
 * @module Test helpers (Node only): start a throwaway `redis-server`, or a Redis Cluster of several, on free
 * loopback ports, and stop them by PID. Nothing is persisted (`--save ''`, `--appendonly no`) and the
 * machine's own Redis (6379) is never used.
 *
 * The binary is `options.bin`, else `$REDIS_SERVER_BIN`, else `redis-server` on the PATH (Debian:
 * `apt-get install -y redis-server`; the service need not run).
 *
 * ```ts
 * const server = await startRedisServer()
 * afterAll(() => server.stop())
 * const client = new Redis(server.url)
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { createConnection, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Options of `startRedisServer()`. */
export interface StartRedisServerOptions {
  /** Path of `redis-server`. Default `$REDIS_SERVER_BIN` or `redis-server`. */
  bin?: string
  /** Extra configuration as command-line arguments, e.g. `['--rename-command', 'GETDEL', '']`. */
  args?: string[]
  /** How long to wait for the server to answer PING. Default 10 000 ms. */
  startTimeoutMs?: number
}

/** A throwaway `redis-server` on a free loopback port, started by `startRedisServer()`. */
export interface RedisServer {
  readonly host: '127.0.0.1'
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  /** PID of the running process; `undefined` while stopped. */
  readonly pid: number | undefined
  /** Stops the process (SIGTERM, then SIGKILL) and waits for it to exit. Idempotent. */
  stop(): Promise<void>
  /** Starts it again on the same port, empty (nothing is persisted), and waits for PING. */
  start(): Promise<void>
  /** Stops and starts: every key, lock and script is gone, clients see their connection drop. */
  restart(): Promise<void>
  /** SIGSTOP: the process keeps its connections but answers nothing (a hung server). */
  pause(): void
  /** SIGCONT after `pause()`. */
  resume(): void
}

/** Options of `startRedisCluster()`. */
export interface StartRedisClusterOptions extends Omit<StartRedisServerOptions, 'args'> {
  /** Number of masters (no replicas). Default 3. */
  masters?: number
  /** Extra configuration for every node. */
  args?: string[]
  /** How long to wait for the cluster to report `cluster_state:ok`. Default 30 000 ms. */
  readyTimeoutMs?: number
}

/** A throwaway Redis Cluster of servers on free loopback ports, started by `startRedisCluster()`. */
export interface RedisCluster {
  readonly nodes: readonly RedisServer[]
  /** Startup nodes for `new Cluster(…)`. */
  readonly startupNodes: readonly { host: '127.0.0.1'; port: number }[]
  readonly ports: readonly number[]
  /** Stops every node and removes their working directory. Idempotent. */
  stop(): Promise<void>
}

const HOST = '127.0.0.1'
const SLOTS = 16384

/** Processes still running, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of running) {
      child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
  })
}

/** Starts `redis-server` on a free port of 127.0.0.1 and resolves once it answers PING. */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'wfo-redis-'))
  try {
    return await launchWithRetries(
      options,
      async () => [await freePort()],
      (port) => [...baseArgs(port, dir), ...(options.args ?? [])],
      { dir, removeOnStop: true },
    )
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }
}

/**
 * Starts `masters` cluster-enabled servers, assigns them equal slot ranges (CLUSTER ADDSLOTSRANGE), joins
 * them (CLUSTER MEET) and resolves once every node reports `cluster_state:ok`. Needs Redis 7.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3
  const dir = await mkdtemp(join(tmpdir(), 'wfo-redis-cluster-'))
  const nodes: RedisServer[] = []
  const busPorts: number[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()))
    await rm(dir, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < masters; i++) {
      const node = await launchWithRetries(
        options,
        async () => [await freePort(), await freePort()],
        (port, busPort) => [
          ...baseArgs(port, dir),
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-port',
          String(busPort),
          '--cluster-node-timeout',
          '5000',
          ...(options.args ?? []),
        ],
        { dir, removeOnStop: false },
        (ports) => busPorts.push(ports[1] ?? 0),
      )
      nodes.push(node)
    }
    for (const [i, node] of nodes.entries()) {
      const first = Math.floor((SLOTS * i) / masters)
      const last = Math.floor((SLOTS * (i + 1)) / masters) - 1
      expectOK(await command(node.port, ['CLUSTER', 'ADDSLOTSRANGE', String(first), String(last)]))
    }
    const [seed, ...others] = nodes
    for (const [i, node] of others.entries()) {
      expectOK(
        await command(seed!.port, ['CLUSTER', 'MEET', HOST, String(node.port), String(busPorts[i + 1])]),
      )
    }
    const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000)
    for (;;) {
      const infos = await Promise.all(nodes.map((node) => command(node.port, ['CLUSTER', 'INFO'])))
      const ready = infos.every(
        (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`),
      )
      if (ready) break
      if (Date.now() > deadline) throw new Error(`Redis Cluster not ready in time:\n${infos.join('\n')}`)
      await sleep(50)
    }
    return {
      nodes,
      startupNodes: nodes.map((node) => ({ host: HOST, port: node.port })),
      ports: nodes.map((node) => node.port),
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

function baseArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--dir',
    dir,
    '--logfile',
    '',
  ]
}

/** The working directory of a server; a standalone server removes its own when stopped. */
interface WorkDir {
  dir: string
  removeOnStop: boolean
}

/** Ports are picked free but may be taken before redis-server binds them: try again on other ports. */
async function launchWithRetries(
  options: StartRedisServerOptions,
  pickPorts: () => Promise<number[]>,
  argsFor: (port: number, ...more: number[]) => string[],
  workDir: WorkDir,
  onStarted?: (ports: number[]) => void,
): Promise<RedisServer> {
  let lastError: unknown
  for (let attempt = 0; attempt < 5; attempt++) {
    const ports = await pickPorts()
    const [port, ...more] = ports as [number, ...number[]]
    const server = redisProcess(options, port, argsFor(port, ...more), workDir)
    try {
      await server.start()
      onStarted?.(ports)
      return server
    } catch (error) {
      lastError = error
      await server.halt()
    }
  }
  throw lastError
}

function redisProcess(
  options: StartRedisServerOptions,
  port: number,
  args: string[],
  workDir: WorkDir,
): RedisServer & { halt(): Promise<void> } {
  const bin = options.bin ?? process.env.REDIS_SERVER_BIN ?? 'redis-server'
  const startTimeoutMs = options.startTimeoutMs ?? 10_000
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()

  const server: RedisServer & { halt(): Promise<void> } = {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    get pid() {
      return child?.pid
    },

    async start() {
      if (child) return
      installExitHook()
      await mkdir(workDir.dir, { recursive: true })
      let output = ''
      let exitCode: number | null | undefined
      const spawned = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      // A forgotten server must not keep the test process alive; the exit hook kills it.
      spawned.unref()
      child = spawned
      running.add(spawned)
      const collect = (chunk: Buffer): void => {
        output = (output + chunk.toString()).slice(-4000)
      }
      for (const stream of [spawned.stdout, spawned.stderr]) {
        stream?.on('data', collect)
        ;(stream as { unref?: () => void } | null)?.unref?.()
      }
      exited = new Promise<void>((resolve) => {
        spawned.once('exit', (code) => {
          exitCode = code
          running.delete(spawned)
          if (child === spawned) child = undefined
          resolve()
        })
        spawned.once('error', (error) => {
          output += String(error)
          exitCode = -1
          running.delete(spawned)
          if (child === spawned) child = undefined
          resolve()
        })
      })
      const deadline = Date.now() + startTimeoutMs
      for (;;) {
        if (exitCode !== undefined) {
          throw new Error(`redis-server on port ${port} exited (${exitCode}):\n${output}`)
        }
        if (await ping(port)) return
        if (Date.now() > deadline) {
          throw new Error(
            `redis-server on port ${port} did not answer PING in ${startTimeoutMs} ms:\n${output}`,
          )
        }
        await sleep(25)
      }
    },

    async halt() {
      const current = child
      if (!current) return
      current.kill('SIGCONT')
      current.kill('SIGTERM')
      const killer = setTimeout(() => current.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(killer)
    },

    async stop() {
      await server.halt()
      if (workDir.removeOnStop) await rm(workDir.dir, { recursive: true, force: true })
    },

    async restart() {
      await server.halt()
      await server.start()
    },

    pause() {
      child?.kill('SIGSTOP')
    },

    resume() {
      child?.kill('SIGCONT')
    },
  }
  return server
}

/** A port that was free on 127.0.0.1 a moment ago. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer()
      probe.once('error', reject)
      probe.listen(0, HOST, () => {
        const address = probe.address()
        probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
      })
    })
    if (port > 0 && port !== 6379) return port
  }
}

async function ping(port: number): Promise<boolean> {
  const reply = await command(port, ['PING']).catch(() => '')
  return reply === 'PONG'
}

/**
 * Sends one command over a fresh connection and returns the reply as text: enough RESP for PING, CLUSTER
 * INFO/MEET/ADDSLOTSRANGE (simple strings, errors and bulk strings).
 */
function command(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port })
    let data = Buffer.alloc(0)
    const fail = (error: Error): void => {
      socket.destroy()
      reject(error)
    }
    socket.setTimeout(2000, () => fail(new Error(`no reply from 127.0.0.1:${port}`)))
    socket.once('error', fail)
    socket.once('connect', () => {
      const encoded = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')
      socket.write(`*${args.length}\r\n${encoded}`)
    })
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      const reply = parseReply(data)
      if (reply === undefined) return
      socket.end()
      if (reply instanceof Error) reject(reply)
      else resolve(reply)
    })
  })
}

function parseReply(data: Buffer): string | Error | undefined {
  const lineEnd = data.indexOf('\r\n')
  if (lineEnd < 0) return undefined
  const line = data.subarray(1, lineEnd).toString()
  switch (String.fromCharCode(data[0] ?? 0)) {
    case '+':
      return line
    case '-':
      return new Error(line)
    case '$':
    case '=': {
      const length = Number(line)
      if (length < 0) return ''
      if (data.length < lineEnd + 2 + length) return undefined
      return data.subarray(lineEnd + 2, lineEnd + 2 + length).toString()
    }
    default:
      return new Error(`unexpected reply: ${line}`)
  }
}

function expectOK(reply: string): void {
  if (reply !== 'OK') throw new Error(`unexpected reply: ${reply}`)
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * vitest `test.deps` for running ioredis inside workerd with `@cloudflare/vitest-pool-workers`: ioredis
 * must be pre-bundled for Node, or its debug helper overflows the stack in the workers pool.
 *
 * ```ts
 * test: { deps: ioredisWorkersPoolDeps }
 * ```
 */
// Typed in full: the declaration bundler sometimes inferred `any[]` for `external`.
export const ioredisWorkersPoolDeps: {
  optimizer: {
    ssr: {
      enabled: boolean
      include: string[]
      rolldownOptions: { platform: 'node'; external: string[] }
    }
  }
} = {
  optimizer: {
    ssr: {
      enabled: true,
      include: ['ioredis'],
      rolldownOptions: {
        platform: 'node',
        external: [...builtinModules, ...builtinModules.map((name) => `node:${name}`)],
      },
    },
  },
}
