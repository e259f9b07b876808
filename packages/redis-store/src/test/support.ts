import { spawn } from 'node:child_process'
import { type AddressInfo, createConnection, createServer, type Socket } from 'node:net'
import { availableParallelism, loadavg } from 'node:os'
/** Helpers shared by this package's tests (not published). */
import { isWorkfrontOAuthError, type WorkfrontOAuthError } from '@workfront-oauth/core'
import { type Cluster, Redis, type RedisOptions } from 'ioredis'

export { eventually } from '@workfront-oauth/test-kit'

/**
 * How much slower than an idle 2-core machine this one is right now (load average per core, at least 1):
 * the factor by which the tests' hang guards grow, so that a loaded machine makes tests slower, never red.
 */
export function loadScale(): number {
  const cores = Math.max(1, availableParallelism())
  return Math.max(1, Math.min(10, (loadavg()[0] ?? 0) / cores))
}

/** A hang guard of `ms` on an idle machine, scaled by `loadScale()`. */
export const scaled = (ms: number): number => Math.round(ms * loadScale())

/**
 * Keeps every core busy (one spinning Node process per core) until `stop()`, which kills them by PID: the
 * "every core busy" condition of a fault test, bounded by the test that starts it.
 */
export function cpuHogs(count = Math.max(1, availableParallelism()), maxMs = 180_000): { stop(): void } {
  // Each hog also ends by itself after `maxMs`: none outlives its test, even if the test process dies.
  const spin = `const end = Date.now() + ${maxMs}; while (Date.now() < end) {}`
  const hogs = Array.from({ length: count }, () => spawn(process.execPath, ['-e', spin], { stdio: 'ignore' }))
  return {
    stop() {
      for (const hog of hogs)
        if (hog.pid !== undefined && hog.exitCode === null) process.kill(hog.pid, 'SIGKILL')
    },
  }
}

/** Real time: for what only a real Redis (its TTLs, its pub/sub) or a real process decides. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The rejection of `promise`, which must reject with a `store_unavailable` WorkfrontOAuthError. */
export async function storeUnavailable(promise: Promise<unknown>): Promise<WorkfrontOAuthError> {
  let outcome: { error: unknown } | { value: unknown }
  try {
    outcome = { value: await promise }
  } catch (error) {
    outcome = { error }
  }
  if (!('error' in outcome)) throw new Error('expected a store_unavailable rejection, got a value')
  if (!isWorkfrontOAuthError(outcome.error, 'store_unavailable')) {
    throw new Error('expected a store_unavailable rejection', { cause: outcome.error })
  }
  return outcome.error
}

/** `INFO commandstats` as `{ command: calls }`. */
export async function commandCalls(admin: Redis): Promise<Record<string, number>> {
  const info = await admin.info('commandstats')
  const calls: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2])
  return calls
}

/** Connection options this package recommends (see the README). */
export const recommendedOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 1000,
  connectTimeout: 2000,
} as const

export async function closeClient(client: Redis | Cluster | undefined): Promise<void> {
  client?.disconnect()
}

/** A client whose connection errors (expected while a test stops the server) are not logged. */
export function connect(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, options)
  client.on('error', () => {})
  return client
}

/**
 * A loopback TCP relay to `port` that a test can hold: while held, it accepts connections but relays nothing
 * until `release()`, so a client stays connected and unanswered (no reconnect loop, no `close` events);
 * `cut()` also ends every connection already relayed. A network partition of one client, the server untouched.
 */
export async function tcpGate(port: number): Promise<{
  port: number
  hold(): void
  cut(): void
  release(): void
  close(): Promise<void>
}> {
  const sockets = new Set<Socket>()
  let held: Socket[] | null = null
  const relay = (downstream: Socket): void => {
    const upstream = createConnection({ host: '127.0.0.1', port })
    for (const [socket, other] of [
      [downstream, upstream],
      [upstream, downstream],
    ] as const) {
      sockets.add(socket)
      socket.on('error', () => other.destroy())
      socket.on('close', () => {
        sockets.delete(socket)
        other.destroy()
      })
      socket.pipe(other)
    }
  }
  const server = createServer((downstream) => {
    if (held === null) return relay(downstream)
    // Unread, what the client sends waits in the socket's buffers until the release.
    downstream.pause()
    downstream.on('error', () => {})
    held.push(downstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const hold = (): void => {
    held ??= []
  }
  const cut = (): void => {
    hold()
    for (const socket of sockets) socket.destroy()
  }
  return {
    port: (server.address() as AddressInfo).port,
    hold,
    cut,
    release() {
      const waiting = held ?? []
      held = null
      for (const socket of waiting) if (!socket.destroyed) relay(socket)
    },
    async close() {
      cut()
      for (const socket of held ?? []) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
