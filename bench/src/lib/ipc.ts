/**
 * Child processes of the suite (servers, storm workers): forked with the `tsx` loader and an IPC channel,
 * asked to do things with request/response messages, and always stopped — by the suite, or by the exit
 * hook if the suite dies first. A child exits by itself when its parent goes away (IPC disconnect).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

interface Reply {
  id: number
  ok: boolean
  result?: unknown
  error?: string
}

type Ready = { type: 'ready' } & Record<string, unknown>

const running = new Set<ChildProcess>()
let hooked = false

function installExitHook(): void {
  if (hooked) return
  hooked = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}

export interface Child<R extends Ready = Ready> {
  readonly pid: number | undefined
  /** The child's `ready` message. */
  readonly info: R
  /** Sends a request and resolves with the child's result; rejects after `timeoutMs`. */
  request<T>(message: Record<string, unknown>, timeoutMs: number): Promise<T>
  /** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>
}

export interface ForkOptions {
  args?: string[]
  env?: Record<string, string>
  /** How long the child may take to send `ready` (a loaded CI machine starts tsx slowly). Default 60 s. */
  readyTimeoutMs?: number
}

/** Forks a TypeScript module of this package and waits for its `ready` message. */
export async function forkChild<R extends Ready = Ready>(
  module: URL,
  options: ForkOptions = {},
): Promise<Child<R>> {
  installExitHook()
  const child = fork(fileURLToPath(module), options.args ?? [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  })
  running.add(child)
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child)
      resolve()
    })
  })
  let nextId = 1
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  child.once('exit', (code, signal) => {
    for (const { reject } of pending.values()) reject(new Error(`child exited (${code ?? signal})`))
    pending.clear()
  })

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 3_000)
    await exited
    clearTimeout(killer)
  }

  const info = await new Promise<R>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`${fileURLToPath(module)} was not ready in time`))
    }, options.readyTimeoutMs ?? 60_000)
    child.on('message', function onReady(message: unknown) {
      if ((message as { type?: string }).type !== 'ready') return
      clearTimeout(timer)
      child.off('message', onReady)
      resolve(message as R)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`${fileURLToPath(module)} exited before it was ready (${code ?? signal})`))
    })
  }).catch(async (error: unknown) => {
    await stop()
    throw error
  })

  child.on('message', (message: unknown) => {
    const reply = message as Reply
    if (typeof reply.id !== 'number') return
    const waiter = pending.get(reply.id)
    if (!waiter) return
    pending.delete(reply.id)
    if (reply.ok) waiter.resolve(reply.result)
    else waiter.reject(new Error(reply.error ?? 'child request failed'))
  })

  return {
    get pid() {
      return child.pid
    },
    info,
    request<T>(message: Record<string, unknown>, timeoutMs: number): Promise<T> {
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id)
          reject(new Error(`no answer to ${String(message.type)} within ${timeoutMs} ms`))
        }, timeoutMs)
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer)
            resolve(value as T)
          },
          reject: (error) => {
            clearTimeout(timer)
            reject(error)
          },
        })
        child.send({ ...message, id })
      })
    },
    stop,
  }
}

/** Child side: answers the parent's requests with `handle`, and exits when the parent goes away. */
export function serveParent(
  handle: (message: { type: string } & Record<string, unknown>) => unknown,
  onStop: () => Promise<void> | void = () => undefined,
): void {
  if (!process.send) throw new Error('This module runs as a child process of the bench suite')
  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    const killer = setTimeout(() => process.exit(0), 2_000)
    killer.unref()
    try {
      await onStop()
    } finally {
      process.exit(0)
    }
  }
  process.on('disconnect', () => void stop())
  process.once('SIGTERM', () => void stop())
  process.on('message', async (message: { id: number; type: string } & Record<string, unknown>) => {
    try {
      const result = await handle(message)
      process.send?.({ id: message.id, ok: true, result })
    } catch (error) {
      process.send?.({
        id: message.id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      })
    }
  })
}

/** Tells the parent that this child is ready, with whatever it needs to know (port, cookie…). */
export function ready(info: Record<string, unknown> = {}): void {
  process.send?.({ type: 'ready', ...info })
}
