/**
 * Runs the demo Worker locally in workerd with `wrangler dev --local`, offline: used by `pnpm demo` and by
 * the browser test. Node only.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package directory (where wrangler.jsonc is), from `src/dev/` or from `dist/node/`. */
export const PACKAGE_DIR: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

export interface WranglerDevOptions {
  port: number
  /** DevTools inspector port: always given, so that two runs never clash on wrangler's default 9229. */
  inspectorPort: number
  /** `--var NAME:value` for plain values. */
  vars?: Readonly<Record<string, string>>
  /** An env file with further variables (secrets): `--env-file`. */
  envFile?: string
  /** Every line wrangler prints. Default: kept in `output()` only. */
  onLine?: (line: string) => void
  /** Default 60 000 ms. */
  readyTimeoutMs?: number
}

export interface WranglerDev {
  readonly url: string
  readonly process: ChildProcess
  /** The last 20 000 characters wrangler printed. */
  output(): string
  /** Stops wrangler and its workerd (the whole process group): SIGTERM, then SIGKILL. Idempotent. */
  stop(): Promise<void>
}

/** The environment wrangler needs to stay offline and quiet. */
export const OFFLINE_ENV: Readonly<Record<string, string>> = {
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  WRANGLER_SEND_METRICS: 'false',
}

export function wranglerBin(): string {
  const require = createRequire(join(PACKAGE_DIR, 'package.json'))
  return join(dirname(require.resolve('wrangler/package.json')), 'bin', 'wrangler.js')
}

/** Starts `wrangler dev --local` and resolves once the Worker answers HTTP. */
export async function startWranglerDev(options: WranglerDevOptions): Promise<WranglerDev> {
  const url = `http://127.0.0.1:${options.port}`
  const args = [
    wranglerBin(),
    'dev',
    // The build with the Workfront mock (wrangler.jsonc `env.dev`): what `pnpm demo` runs.
    '--env',
    'dev',
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--inspector-port',
    String(options.inspectorPort),
    '--show-interactive-dev-session=false',
    '--live-reload=false',
  ]
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`)
  if (options.envFile) args.push('--env-file', options.envFile)

  const child = spawn(process.execPath, args, {
    cwd: PACKAGE_DIR,
    env: { ...process.env, ...OFFLINE_ENV },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so that stop() also ends workerd.
    detached: true,
  })
  let output = ''
  let pending = ''
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exit = new Promise<void>((done) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal }
      done()
    })
  })
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString()
    output = (output + text).slice(-20_000)
    pending += text
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) options.onLine?.(line)
  }
  child.stdout?.on('data', onData)
  child.stderr?.on('data', onData)

  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal)
    } catch {
      // Already gone.
    }
  }
  const stop = async (): Promise<void> => {
    if (exited) return
    signalGroup('SIGTERM')
    const killer = setTimeout(() => signalGroup('SIGKILL'), 5000)
    await exit
    clearTimeout(killer)
    // workerd may outlive wrangler for a moment; make sure the group is gone.
    signalGroup('SIGKILL')
  }

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000)
  try {
    for (;;) {
      if (exited) {
        throw new Error(
          `wrangler dev exited (${exited.code ?? exited.signal}) before it was ready:\n${output}`,
        )
      }
      if (/Ready on /.test(output) && (await answers(url))) break
      if (Date.now() > deadline) throw new Error(`wrangler dev was not ready in time:\n${output}`)
      await new Promise((r) => setTimeout(r, 100))
    }
  } catch (error) {
    await stop()
    throw error
  }
  return { url, process: child, output: () => output, stop }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/session`, { signal: AbortSignal.timeout(5000) })
    // Read to the end: cancelling the body would cut the connection while workerd writes it.
    await response.arrayBuffer()
    return response.status === 200
  } catch {
    return false
  }
}
