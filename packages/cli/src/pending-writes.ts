/**
 * The last step of every command: with refresh-token rotation, Workfront disables the old refresh token as
 * soon as it answers a refresh. If the file store then refuses the new tokens (a full disk, a permission
 * change), the core keeps them in the process and writes them again in the background (its README, "Rotated
 * tokens are never dropped") — a process that exits at once takes them with it, and the user is signed out.
 * So the CLI waits for those writes, bounded, and says so when they did not land.
 */
import { join } from 'node:path'
import type { Context } from './context.ts'
import { CLIError } from './errors.ts'
import { startProgress } from './output.ts'

/** Resolves once the held writes have landed (null), or with a `session_not_saved` error at the bound. */
export async function waitForPendingWrites(ctx: Context): Promise<CLIError | null> {
  const pending = ctx.pendingWrites()
  if (pending === null) return null
  const dir = join(ctx.dir, 'store')
  // A spinner for a person at a terminal; a pipe or a script gets nothing but the outcome.
  const progress =
    ctx.io.stderr.isTTY && !ctx.json
      ? startProgress(ctx.io.stderr, `Saving the refreshed session to ${dir}…`)
      : undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  const saved = await Promise.race([
    pending.then(() => true),
    new Promise<false>((resolve) => {
      timer = setTimeout(resolve, ctx.saveTimeoutMs, false)
    }),
  ])
  clearTimeout(timer)
  progress?.stop()
  if (saved) return null
  return new CLIError(
    'session_not_saved',
    `The refreshed session could not be saved to ${dir} (the writes still failed after ${ctx.saveTimeoutMs / 1000} s). ` +
      'Workfront has already replaced the refresh token stored there: you will need to sign in again',
  )
}
