/**
 * How a Redis failure becomes the store's error: timeouts, reply errors and connection errors told apart
 * (what may be retried, what will never be accepted), and each turned into a `store_unavailable` error
 * whose message names the kind of failure and whose cause has the command's arguments redacted.
 */
import { WorkfrontOAuthError } from '@workfront-oauth/core'

/** A store operation that got no answer within `commandTimeoutMs`. */
export class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError'
}

/** An error the server answered (ioredis' `ReplyError`), as opposed to a timeout or a connection error. */
export function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError'
}

/** The server will never accept this command from us (renamed, disabled, or denied by an ACL). */
export function isRefused(error: unknown): boolean {
  return isReplyError(error) && /^(ERR unknown command|NOPERM)/i.test((error as Error).message)
}

/** The server does not know `command` (a Redis too old for it, or the command renamed away). */
export function isUnknownCommand(error: unknown, command: string): boolean {
  return (
    isReplyError(error) &&
    /unknown command/i.test((error as Error).message) &&
    (error as Error).message.toLowerCase().includes(command)
  )
}

/**
 * The error every operation rejects with. The message is fixed text plus the kind of failure (a Redis
 * error code such as `WRONGTYPE`, never the server's free text). ioredis attaches the command and its
 * arguments to its errors; the arguments (values, owner tokens) are redacted before the error becomes the
 * `cause`, so that logging the cause cannot leak a stored grant.
 */
export function unavailable(operation: string, cause: unknown): WorkfrontOAuthError {
  redactCommand(cause)
  return new WorkfrontOAuthError(
    'store_unavailable',
    `Redis store: ${operation} failed: ${describeFailure(cause)}`,
    {
      cause,
    },
  )
}

function describeFailure(cause: unknown): string {
  if (cause instanceof StoreTimeoutError) return cause.message
  if (isReplyError(cause)) {
    const code = /^[A-Z]+(?=\s|$)/.exec((cause as Error).message)?.[0]
    return code ? `server error ${code}` : 'server error'
  }
  if (cause instanceof Error) return `connection error (${cause.name})`
  return 'unknown error'
}

function redactCommand(error: unknown): void {
  const command = (error as { command?: { args?: unknown } } | null)?.command
  if (command && typeof command === 'object' && Array.isArray(command.args)) {
    command.args = command.args.map(() => '[redacted]')
  }
}
