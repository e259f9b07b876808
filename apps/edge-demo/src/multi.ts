#!/usr/bin/env node
/**
 * @module `pnpm demo:multi`: the demo as a small production would run it, in one command — two Node
 * instances sharing one Redis, one Workfront mock for both (a real Workfront is one service too), and one
 * origin in front that sends requests to A and B in turn. Sign in, browse, expire the sessions: every hop
 * between instances keeps you signed in, and the instances refresh a grant once between them.
 *
 * Everything runs on loopback: Redis (`redis-server`, or `$REDIS_SERVER_BIN`) and the instances on free
 * ports, the origin on `PORT` (default 8787). Ctrl-C stops all of it; so does any part exiting.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { type ServerType, serve } from '@hono/node-server'
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import { createWorkfrontMock, DEMO_USER } from '@workfront-oauth/workfront-mock'
import { freePort } from './dev/ports.ts'

const HERE = dirname(fileURLToPath(import.meta.url))
const CLIENT = { id: 'demo-client', secret: 'demo-secret' }
const NAMES = ['A', 'B'] as const

interface Part {
  name: string
  stop(): Promise<void>
}

/** Lines of a child's output, prefixed with its name. */
function relay(child: ChildProcess, name: string, onLine?: (line: string) => void): void {
  for (const stream of [child.stdout, child.stderr]) {
    let pending = ''
    stream?.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) {
        onLine?.(line)
        if (line.trim() !== '') console.log(`[${name}] ${line}`)
      }
    })
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(killer)
}

/** A `redis-server` of its own on a free port, empty, removed when it stops (redis-store's helper). */
async function startRedis(): Promise<Part & { url: string }> {
  try {
    const server = await startRedisServer()
    return { name: 'Redis', url: server.url, stop: () => server.stop() }
  } catch (error) {
    throw new Error(
      `cannot start redis-server (${error instanceof Error ? error.message : String(error)}): ` +
        'install it (apt-get install -y redis-server) or set REDIS_SERVER_BIN',
    )
  }
}

async function startMock(publicUrl: string): Promise<Part & { origin: string }> {
  const mock = createWorkfrontMock({
    apps: [
      {
        clientId: CLIENT.id,
        name: 'Workfront OAuth demo (two instances)',
        clientSecrets: [CLIENT.secret],
        redirectUris: [`${publicUrl}/auth/callback`],
        type: 'web',
        rotation: true,
      },
    ],
    admin: { enabled: true, path: '/__mock' },
    showDemoCredentials: true,
  })
  const port = await freePort()
  const server: ServerType = serve({ fetch: mock.fetch, hostname: '127.0.0.1', port })
  await once(server, 'listening')
  return {
    name: 'Workfront mock',
    origin: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

async function startInstance(
  name: string,
  env: Record<string, string>,
): Promise<Part & { port: number; child: ChildProcess }> {
  const port = await freePort()
  const child = spawn(process.execPath, [join(HERE, 'node.mjs')], {
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const listening = new Promise<void>((resolve) =>
    relay(child, name, (line) => {
      if (line.includes('listening on')) resolve()
    }),
  )
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`instance ${name} exited (${code}) before it listened`))),
  )
  exited.catch(() => undefined)
  await Promise.race([listening, exited])
  return { name: `instance ${name}`, port, child, stop: () => stopChild(child) }
}

/** The one origin users see: each request goes to the next instance, tagged with its name. */
async function startOrigin(port: number, instances: ReadonlyArray<{ port: number }>): Promise<Part> {
  let next = 0
  const server: Server = createServer((req, res) => {
    const index = next++ % instances.length
    const name = NAMES[index] as string
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: (instances[index] as { port: number }).port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-demo-instance': name })
        answer.pipe(res)
        console.log(`  ${name}  ${req.method} ${req.url} ${answer.statusCode}`)
      },
    )
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`instance ${name} is not answering\n`)
    })
    req.pipe(upstream)
  })
  server.listen(port, '127.0.0.1')
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([error]) => {
      throw new Error(`cannot listen on 127.0.0.1:${port} (${(error as Error).message}); set PORT`)
    }),
  ])
  return {
    name: 'origin',
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT || 8787)
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    console.error('edge-demo: PORT must be a port number')
    process.exit(1)
  }
  const publicUrl = `http://127.0.0.1:${port}`
  const parts: Part[] = []
  let stopping: Promise<void> | undefined
  const stopAll = (code: number): Promise<void> => {
    stopping ??= (async () => {
      for (const part of parts.reverse()) await part.stop().catch(() => undefined)
      process.exit(code)
    })()
    return stopping
  }
  process.once('SIGINT', () => void stopAll(0))
  process.once('SIGTERM', () => void stopAll(0))

  try {
    console.log('edge-demo: starting Redis, the Workfront mock and two instances …')
    const redis = await startRedis()
    parts.push(redis)
    const mock = await startMock(publicUrl)
    parts.push(mock)
    // What both instances share: the public address, the store, Workfront, the secrets.
    const env = {
      PUBLIC_URL: publicUrl,
      REDIS_URL: redis.url,
      WORKFRONT_BASE_URL: mock.origin,
      WORKFRONT_CLIENT_ID: CLIENT.id,
      WORKFRONT_CLIENT_SECRET: CLIENT.secret,
      SESSION_SECRET: randomBytes(48).toString('base64url'),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    }
    const instances = []
    for (const name of NAMES) {
      const instance = await startInstance(name, env)
      parts.push(instance)
      instances.push(instance)
    }
    parts.push(await startOrigin(port, instances))
    for (const child of instances.map((i) => i.child)) {
      child.once('exit', (code) => {
        if (!stopping) {
          console.error(`edge-demo: a part of the demo stopped (exit ${code}); stopping the rest`)
          void stopAll(1)
        }
      })
    }
    console.log(
      [
        '',
        '  ┌──────────────────────────────────────────────────────────',
        `  │ Workfront OAuth demo, two instances — open ${publicUrl}`,
        `  │ Instances: A on :${instances[0]?.port}, B on :${instances[1]?.port}; requests alternate (header x-demo-instance)`,
        `  │ Sessions:  Redis ${redis.url} (started for this run, emptied at the end)`,
        `  │ Workfront: one mock for both, ${mock.origin}`,
        `  │ Sign in as ${DEMO_USER.username}, password ${DEMO_USER.password}`,
        `  │ Expire every Workfront session: curl -X POST -H 'content-type: application/json' ${mock.origin}/__mock/sessions/expire`,
        `  │ Token calls so far:             curl ${mock.origin}/__mock/counters`,
        ...(process.env.WORKFRONT_OAUTH_OTEL === 'console'
          ? [
              '  │ Spans: A and B print theirs. In a refresh storm one API call says refresh.outcome "done";',
              '  │ each that joined, on either instance, links to its traceId and id (docs/observability.md).',
            ]
          : []),
        '  │ Ctrl-C stops everything.',
        '  └──────────────────────────────────────────────────────────',
        '',
      ].join('\n'),
    )
  } catch (error) {
    console.error(`edge-demo: ${error instanceof Error ? error.message : String(error)}`)
    await stopAll(1)
  }
}

await main()
