/**
 * Starts an example app as its own process (Deno, Bun, `next start`) on a loopback port and waits until it
 * answers; keeps its output for the failure message. Node only.
 */
import type { ChildProcess } from 'node:child_process'
import { spawn } from 'node:child_process'
import { HANG_GUARD } from '@workfront-oauth/test-kit/hang-guard'

export interface AppProcess {
  origin: string
  output(): string
  stop(): Promise<void>
}

/** Runs `command args` in `cwd` with `env` added, and resolves once `origin` answers an HTTP request. */
export async function startApp(options: {
  command: string
  args: string[]
  cwd: string
  env: Record<string, string>
  origin: string
}): Promise<AppProcess> {
  // A process group of its own: `node_modules/.bin/*` may be a shell script that starts the real binary as
  // its child, and stopping the script alone would leave the server running.
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const app: AppProcess = { origin: options.origin, output: () => output, stop: () => stop(child) }
  // Given up just before the test's own hang guard, so that the process group is still stopped.
  const deadline = Date.now() + HANG_GUARD.hookTimeout - 30_000
  for (;;) {
    if (child.exitCode !== null) {
      await app.stop()
      throw new Error(`${options.command} exited (${child.exitCode}):\n${output}`)
    }
    try {
      await fetch(options.origin, { redirect: 'manual', signal: AbortSignal.timeout(5_000) })
      return app
    } catch {
      // Not listening yet: a loaded machine starts it slowly.
      if (Date.now() > deadline) {
        await app.stop()
        throw new Error(`${options.command} did not answer on ${options.origin}:\n${output}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

/** Stops the app's whole process group (SIGTERM, then SIGKILL after 10 s), and waits for its leader. */
function stop(child: ChildProcess): Promise<void> {
  const group = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid as number), signal)
    } catch {
      // Already gone.
    }
  }
  return new Promise((resolve) => {
    const done = (): void => {
      group('SIGKILL') // whatever the leader left behind
      resolve()
    }
    if (child.exitCode !== null || child.signalCode !== null) return done()
    child.once('exit', done)
    group('SIGTERM')
    setTimeout(() => group('SIGKILL'), 10_000).unref()
  })
}
