/**
 * Child processes for the tests (Node only): started, awaited until they print that they are ready, and
 * stopped by their own PID.
 */
import { type ChildProcess, spawn } from 'node:child_process'

export interface Started {
  readonly name: string
  readonly process: ChildProcess
  /** Everything printed so far (stdout and stderr, the last 20 000 characters). */
  output(): string
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** SIGTERM, then SIGKILL after 5 s; resolves with how it exited. Idempotent. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface StartOptions {
  name: string
  command: string
  args: string[]
  env: NodeJS.ProcessEnv
  cwd?: string
  /** Printed once the process is ready. */
  ready: RegExp
  /** Default 30 000 ms. */
  timeoutMs?: number
}

/** Starts a process and resolves once its output matches `ready`; rejects (and kills it) otherwise. */
export async function startProcess(options: StartOptions): Promise<Started> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000)
  }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal }
      resolve(exitInfo)
    })
    child.once('error', (error) => {
      output += String(error)
      exitInfo = { code: -1, signal: null }
      resolve(exitInfo)
    })
  })
  const stop = async (): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (!exitInfo) child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000)
    const result = await exited
    clearTimeout(killer)
    return result
  }
  const started: Started = { name: options.name, process: child, output: () => output, exited, stop }

  const deadline = Date.now() + (options.timeoutMs ?? 30_000)
  for (;;) {
    if (options.ready.test(output)) return started
    if (exitInfo)
      throw new Error(
        `${options.name} exited (${exitInfo.code ?? exitInfo.signal}) before it was ready:\n${output}`,
      )
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`${options.name} was not ready in time:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** Runs a process to its end (bounded), for entries that must refuse to start. */
export async function runToExit(
  options: Omit<StartOptions, 'ready'>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000)
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)))
  clearTimeout(killer)
  return { code, output }
}
