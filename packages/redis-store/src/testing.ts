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
import { mkdtemp, rm } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './testing/ports.ts'
import {
  baseArgs,
  launchWithRetries,
  type RedisServer,
  type StartRedisServerOptions,
} from './testing/redis-process.ts'
import { command, expectOK, HOST, sleep } from './testing/redis-wire.ts'

export type { RedisServer, StartRedisServerOptions }

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
  /** The cluster's nodes, each a `redis-server` of its own. */
  readonly nodes: readonly RedisServer[]
  /** Startup nodes for `new Cluster(…)`. */
  readonly startupNodes: readonly { host: '127.0.0.1'; port: number }[]
  /** The nodes' ports on 127.0.0.1. */
  readonly ports: readonly number[]
  /** Stops every node and removes their working directory. Idempotent. */
  stop(): Promise<void>
}

const SLOTS = 16384

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
