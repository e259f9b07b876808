/**
 * How the command line ends: exit codes and the errors that carry them. Library failures arrive as the
 * core's `WorkfrontOAuthError` (its `code` says what happened); the conditions only a command line has (a
 * bad flag, a port in use, a sign-in already waiting) are `CLIError`s. Neither carries a secret.
 */
import type { ErrorCode } from '@workfront-oauth/core'
import { isWorkfrontOAuthError } from '@workfront-oauth/core'
import { InsecureFileError } from './permissions.ts'

export const ExitCode = {
  OK: 0,
  /** Anything else: the API refused the request, an unexpected answer, a broken store. */
  Failure: 1,
  /** The command line is wrong (unknown flag, missing argument, bad value). */
  Usage: 2,
  /**
   * The config directory, or a file in it, could have been changed by another user (their own, writable by
   * others, a symbolic link; a key file others can read): fix it as the message says.
   */
  InsecureConfig: 3,
  /** Not signed in, or the grant can no longer be refreshed: run `workfront login`. */
  SignInRequired: 4,
  /** Workfront could not be reached, or asks to slow down: try again later. */
  Unreachable: 5,
  /** The sign-in did not complete (refused, timed out, port in use, another sign-in waiting). */
  LoginFailed: 6,
  /**
   * The session a command refreshed could not be saved before the CLI exited (the command's output is valid):
   * the stored refresh token is one Workfront has replaced, so the next refresh needs `workfront login`.
   */
  SessionNotSaved: 7,
  /** Interrupted (Ctrl-C). */
  Interrupted: 130,
} as const

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export type CLIErrorCode =
  | 'usage'
  | 'not_signed_in'
  | 'missing_client_secret'
  | 'port_in_use'
  | 'login_in_progress'
  | 'login_timeout'
  | 'interrupted'
  | 'insecure_key_file'
  | 'insecure_config'
  | 'login_page_reopened'
  | 'api_error'
  | 'sign_in_again'
  | 'session_not_saved'

export class CLIError extends Error {
  override readonly name = 'CLIError' as const
  readonly code: CLIErrorCode
  readonly exitCode: ExitCode

  constructor(code: CLIErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.exitCode = exitCodeOfCLIError(code)
  }
}

function exitCodeOfCLIError(code: CLIErrorCode): ExitCode {
  switch (code) {
    case 'usage':
    case 'missing_client_secret':
      return ExitCode.Usage
    case 'not_signed_in':
    case 'sign_in_again':
      return ExitCode.SignInRequired
    case 'port_in_use':
    case 'login_in_progress':
    case 'login_timeout':
    case 'login_page_reopened':
      return ExitCode.LoginFailed
    case 'interrupted':
      return ExitCode.Interrupted
    case 'session_not_saved':
      return ExitCode.SessionNotSaved
    case 'insecure_key_file':
    case 'insecure_config':
      return ExitCode.InsecureConfig
    case 'api_error':
      return ExitCode.Failure
  }
}

/** The exit code of a core error code: what the user has to do about it. */
export function exitCodeOf(code: ErrorCode): ExitCode {
  switch (code) {
    case 'refresh_rejected':
    case 'reauthorization_required':
    case 'grant_not_found':
    case 'unauthenticated':
    case 'decryption_failed':
      return ExitCode.SignInRequired
    case 'token_endpoint_unreachable':
    case 'api_unreachable':
    case 'rate_limited':
    case 'refresh_timeout':
      return ExitCode.Unreachable
    case 'invalid_callback':
    case 'state_mismatch':
    case 'state_expired':
    case 'browser_mismatch':
    case 'access_denied':
    case 'authorization_error':
    case 'tenant_mismatch':
    case 'tenant_ambiguous':
    case 'code_rejected':
      return ExitCode.LoginFailed
    case 'invalid_options':
    case 'client_rejected':
    case 'invalid_tenant':
    case 'tenant_not_allowed':
    case 'invalid_path':
    case 'uri_too_long':
      return ExitCode.Usage
    default:
      return ExitCode.Failure
  }
}

/**
 * A hint that tells the user what to do next, for the codes where there is one. `saved`: the profile has
 * settings from an earlier sign-in, so `workfront login` needs no flags; without them it names the flags
 * it needs (it would exit 2 otherwise).
 */
export function hintFor(code: string, profile: string, saved = true): string | undefined {
  const flags = saved ? '' : ' --tenant <org> --client-id <id>'
  const login = `workfront login${flags}${profile === 'default' ? '' : ` --profile ${profile}`}`
  switch (code) {
    case 'not_signed_in':
    case 'grant_not_found':
    case 'unauthenticated':
      return `Sign in with: ${login}`
    case 'refresh_rejected':
    case 'reauthorization_required':
    case 'sign_in_again':
      return `Workfront no longer accepts this sign-in (the refresh token expired or was revoked). Sign in again: ${login}`
    case 'session_not_saved':
      return `Check that the directory can be written to (permissions, free space), then sign in again: ${login}`
    case 'decryption_failed':
      return `The stored sign-in cannot be decrypted (the key file changed). Sign in again: ${login}`
    case 'client_rejected':
      return `Workfront needs the app's client ID and, for a Web application, its secret: check the profile's client ID (workfront status) and WORKFRONT_CLIENT_SECRET, then sign in again: ${login}`
    case 'token_endpoint_unreachable':
    case 'api_unreachable':
      return 'Check the network (VPN, proxy) and that the Workfront address is right, then try again.'
    case 'rate_limited':
      return 'Workfront is rate limiting this client: wait a moment and try again.'
    default:
      return undefined
  }
}

/** `{ code, message, exitCode }` of anything thrown by a command. */
export function describeError(error: unknown): { code: string; message: string; exitCode: ExitCode } {
  if (error instanceof CLIError) return { code: error.code, message: error.message, exitCode: error.exitCode }
  // The file store refuses a file another user could have changed; the core reports it as a failing store,
  // with the store's error (its name, code and message) as the cause.
  const refused = error instanceof InsecureFileError ? error : insecureCause(error)
  if (refused) return describeError(new CLIError('insecure_config', refused.message))
  if (isWorkfrontOAuthError(error)) {
    return { code: error.code, message: error.message, exitCode: exitCodeOf(error.code) }
  }
  // Not ours: a bug or a system failure. Its message is the runtime's, which holds no token of ours.
  const message = error instanceof Error ? error.message : String(error)
  return { code: 'unexpected', message, exitCode: ExitCode.Failure }
}

function insecureCause(error: unknown): { message: string } | null {
  if (!isWorkfrontOAuthError(error, 'store_unavailable')) return null
  const cause = error.cause as { name?: unknown; message?: unknown } | undefined
  return cause?.name === 'InsecureFileError' && typeof cause.message === 'string'
    ? { message: cause.message }
    : null
}
