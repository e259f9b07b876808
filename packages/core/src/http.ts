import type { Clock, HTTPClient } from './ports.ts'
import { setTimer } from './timers.ts'

export interface DeadlineOptions<T> {
  timeoutMs: number
  /**
   * The deadline runs on this clock. A deadline on a real socket is real time: `systemClock` (the
   * default everywhere) is `setTimeout`. Going through the port anyway lets a test with a fake clock
   * time a request out by advancing it, instead of sleeping.
   */
  clock: Clock
  onTimeout: () => Error
  /** Reads the response; runs inside the deadline. */
  read: (response: Response) => Promise<T>
}

/**
 * Sends one request through the HTTP port with a deadline that really holds: the request is aborted, and
 * the promise settles even when the port ignores the abort signal (an in-process fetch, a stuck socket).
 * `read` runs inside the deadline too, so a body that never finishes cannot hang the caller. Redirects
 * are never followed: a 3xx comes back as it is.
 */
export async function sendWithDeadline<T>(
  http: HTTPClient,
  url: string,
  init: RequestInit,
  options: DeadlineOptions<T>,
): Promise<T> {
  const controller = new AbortController()
  const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal
  let cancel: (() => void) | undefined
  const deadline = new Promise<never>((_, reject) => {
    cancel = setTimer(options.clock, options.timeoutMs, () => {
      const error = options.onTimeout()
      controller.abort(error)
      reject(error)
    })
  })
  try {
    return await Promise.race([
      http(url, { ...init, redirect: 'manual', signal }).then(options.read),
      deadline,
    ])
  } finally {
    cancel?.()
  }
}

export function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)
}

/**
 * The longest `Retry-After` we honour, in seconds: one hour. Workfront's rate limits are about concurrent
 * requests and clear in seconds; a longer value is an outage or a hostile answer, and it reaches callers
 * (`retryAfter`) and browsers (the `Retry-After` the adapters send on), so it must not say "days".
 */
export const MAX_RETRY_AFTER_SECONDS = 3_600

/**
 * Parses `Retry-After` (RFC 9110 §10.2.3: seconds or an HTTP date) into whole seconds, at most
 * {@link MAX_RETRY_AFTER_SECONDS}.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  const text = value.trim()
  const seconds = /^\d+$/.test(text) ? Number(text) : Math.ceil((Date.parse(text) - now) / 1000)
  return Number.isNaN(seconds) ? undefined : Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, seconds))
}
