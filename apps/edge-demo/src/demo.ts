#!/usr/bin/env node
/**
 * @module `pnpm demo`: runs the demo Worker locally in workerd (`wrangler dev --local`) on 127.0.0.1:8787,
 * offline, and prints the URL to open and the demo user's credentials.
 *
 * The Worker is configured by the same variables as the Node entry, read from this shell: they are handed
 * to wrangler in a private temporary env file (never on the command line, where `ps` would show secrets).
 * With none set, the Worker runs the built-in Workfront mock and an in-memory store.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import process from 'node:process'
import { DEMO_CREDENTIALS } from './app.ts'
import { ConfigError, describeWorkfront, parseConfig, type SessionStore } from './config.ts'
import { WORKER_VARIABLES } from './dev/contract.ts'
import { freePort } from './dev/ports.ts'
import { startWranglerDev } from './dev/wrangler-dev.ts'
import { createWranglerLogFilter } from './dev/wrangler-log.ts'

async function main(): Promise<void> {
  let config: ReturnType<typeof parseConfig>
  try {
    config = parseConfig(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`edge-demo: configuration error: ${error.message}`)
    process.exit(1)
  }
  if (config.host !== '127.0.0.1')
    console.warn('edge-demo: warning: HOST is ignored: wrangler dev listens on 127.0.0.1')

  // The variables as set in this shell, checked above; PUBLIC_URL and the two secrets as parsed, so that the
  // random secrets of mock mode stay the same across wrangler's reloads of the Worker.
  const values: Record<string, string | undefined> = Object.fromEntries(
    WORKER_VARIABLES.map((name) => [name, process.env[name] === '' ? undefined : process.env[name]]),
  )
  values.PUBLIC_URL = config.publicUrl
  values.SESSION_SECRET = config.sessionSecrets.join(',')
  values.TOKEN_ENCRYPTION_KEY = config.tokenEncryptionKeys.join(',')
  const dir = await mkdtemp(join(tmpdir(), 'edge-demo-'))
  const envFile = join(dir, 'worker.env')
  const lines = WORKER_VARIABLES.flatMap((name) => {
    const value = values[name]
    return value === undefined ? [] : [`${name}=${dotenvQuote(name, value)}`]
  })
  await writeFile(envFile, `${lines.join('\n')}\n`, { mode: 0o600 })

  console.log(`edge-demo: starting the Worker in workerd (wrangler dev --local) on ${config.publicUrl} …`)
  const log = createWranglerLogFilter()
  let dev: Awaited<ReturnType<typeof startWranglerDev>>
  try {
    dev = await startWranglerDev({
      port: config.port,
      inspectorPort: await freePort(),
      envFile,
      onLine: (line) => {
        const shown = log.filter(line)
        if (shown !== null) console.log(shown)
      },
    })
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    console.error(`edge-demo: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }

  const banner = [
    '',
    '  ┌──────────────────────────────────────────────────────────',
    `  │ Workfront OAuth demo — open ${config.publicUrl}`,
    `  │ Workfront: ${describeWorkfront(config)}`,
    `  │ Sessions:  ${SESSIONS[config.sessionStore ?? 'durable-object']}`,
  ]
  if (config.workfront.mode === 'mock') {
    banner.push(`  │ Sign in as ${DEMO_CREDENTIALS.username}, password ${DEMO_CREDENTIALS.password}`)
  }
  banner.push('  │ Ctrl-C stops it.', '  └──────────────────────────────────────────────────────────', '')
  for (const warning of config.warnings) banner.push(`edge-demo: warning: ${warning}`)
  console.log(banner.join('\n'))
  log.showRequests()

  let stopping = false
  const stop = async (code: number): Promise<void> => {
    if (stopping) return
    stopping = true
    await dev.stop()
    await rm(dir, { recursive: true, force: true })
    process.exit(code)
  }
  process.once('SIGINT', () => void stop(0))
  process.once('SIGTERM', () => void stop(0))
  dev.process.once('exit', (code) => void stop(code ?? 1))
}

const SESSIONS: Record<SessionStore, string> = {
  'durable-object': 'Durable Objects (local, in .wrangler/state)',
  redis: 'Redis (REDIS_URL)',
  memory: 'in memory (this Worker isolate)',
}

/** dotenv quoting without escapes: single quotes keep everything literal; else backticks, else double quotes. */
function dotenvQuote(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new ConfigError(name, 'must be on one line')
  for (const quote of ["'", '`', '"']) if (!value.includes(quote)) return `${quote}${value}${quote}`
  throw new ConfigError(name, 'cannot contain all of \' ` and " at once')
}

await main()
