/**
 * Opens a URL in the user's browser: `$BROWSER` when set (a command; `%s` stands for the URL, else the URL is
 * its last argument), otherwise the platform's opener. Never blocks the sign-in: the opener runs detached,
 * and a failure (no opener, no display) is reported so that the URL can be printed instead.
 */
import { spawn } from 'node:child_process'
import type { Env } from './config.ts'

export interface OpenResult {
  ok: boolean
  reason?: string
}

export function openBrowser(
  url: string,
  env: Env,
  onLateFailure: (reason: string) => void,
): Promise<OpenResult> {
  const [command, ...args] = opener(url, env)
  return new Promise((resolve) => {
    let settled = false
    const child = spawn(command as string, args, {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, ...env },
    })
    child.once('error', (error) => {
      const reason =
        (error as { code?: string }).code === 'ENOENT' ? `${command} was not found` : error.message
      if (settled) onLateFailure(reason)
      else resolve({ ok: false, reason })
      settled = true
    })
    child.once('spawn', () => {
      settled = true
      resolve({ ok: true })
    })
    // Openers such as xdg-open exit at once, non-zero when there is no browser to hand the URL to.
    child.once('exit', (code) => {
      if (code !== 0 && code !== null) onLateFailure(`${command} exited with code ${code}`)
    })
    child.unref()
  })
}

function opener(url: string, env: Env): string[] {
  const browser = env.BROWSER?.trim()
  if (browser) {
    const words = browser.split(/\s+/)
    return words.includes('%s') ? words.map((w) => (w === '%s' ? url : w)) : [...words, url]
  }
  switch (process.platform) {
    case 'darwin':
      return ['open', url]
    case 'win32':
      // Not `start`: cmd would interpret the URL's `&`.
      return ['rundll32', 'url.dll,FileProtocolHandler', url]
    default:
      return ['xdg-open', url]
  }
}
