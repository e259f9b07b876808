/**
 * Helpers of the release checks that run the real tools in throwaway places: a copy of the workspace (its
 * tracked and new files, no node_modules, no builds) and child processes bounded by a shared deadline.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { root } from './workspace.ts'

const execFileAsync = promisify(execFile)

/**
 * The environment of the children: none of the variables pnpm, turbo or vitest set for this process, and
 * no colors, so that their output can be read.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|TURBO_|VITEST|NODE_OPTIONS$|FORCE_COLOR$)/i.test(key)) env[key] = value
  }
  return { ...env, NO_COLOR: '1', ...extra }
}

export interface RunOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
}

/** Runs a command; on failure throws with the end of its output, which is what explains a failure. */
export async function run(command: string, args: readonly string[], options: RunOptions): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd: options.cwd,
      env: options.env ?? cleanEnv(),
      maxBuffer: 64 * 1024 * 1024,
      ...(options.signal ? { signal: options.signal } : {}),
    })
    return stdout
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-40).join('\n')
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed:\n${tail}`, { cause: error })
  }
}

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `workfront-oauth-${prefix}-`))
}

export function remove(path: string): void {
  rmSync(path, { recursive: true, force: true })
}

/** Copies the workspace's files as git sees them (committed or new, not ignored) into a new directory. */
export async function copyWorkspace(prefix: string): Promise<string> {
  const copy = temporaryDirectory(prefix)
  const files = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
  })
  for (const file of files.split('\0')) {
    if (!file) continue
    mkdirSync(join(copy, dirname(file)), { recursive: true })
    try {
      cpSync(join(root, file), join(copy, file))
    } catch (error) {
      // A file deleted in the work tree but not yet staged: it is not part of the workspace.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
  return copy
}
