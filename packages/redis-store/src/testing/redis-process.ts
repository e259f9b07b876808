/**
 * One throwaway `redis-server` process of the testing entry: its arguments (loopback, nothing persisted),
 * its start (waiting for PING), stop, restart, pause and resume, a retry on other ports when a picked port
 * was taken meanwhile, and the exit hook that kills what a test process leaves running.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdir, rm } from 'node:fs/promises'
import { HOST, ping, sleep } from './redis-wire.ts'

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
  /** Always loopback. */
  readonly host: '127.0.0.1'
  /** The port it listens on, free when it was started. */
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

/** The arguments of every server: its port on the loopback address, nothing persisted, logs to stdout. */
export function baseArgs(port: number, dir: string): string[] {
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
export interface WorkDir {
  dir: string
  removeOnStop: boolean
}

/** Ports are picked free but may be taken before redis-server binds them: try again on other ports. */
export async function launchWithRetries(
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

/** A `redis-server` on `port`, not yet started; `halt()` stops it without removing its directory. */
export function redisProcess(
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
