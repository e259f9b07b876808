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

/** A deadline that fires this late (ms) fired after a pause of the process, not on time. */
export const STALLED_MS = 1_000
/** How long an answer that may have arrived during such a pause gets to be read. */
export const STALL_GRACE_MS = 1_000

/**
 * Sends one request through the HTTP port with a deadline that really holds: the request is aborted, and
 * the promise settles even when the port ignores the abort signal (an in-process fetch, a stuck socket).
 * A deadline that fires late (the process was paused) first gives an answer that arrived during the pause
 * `STALL_GRACE_MS` to be read.
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
    const due = options.clock.now() + options.timeoutMs
    const expire = (): void => {
      const error = options.onTimeout()
      controller.abort(error)
      reject(error)
    }
    cancel = setTimer(options.clock, options.timeoutMs, () => {
      // A deadline that fires late means this process was stopped or starved: after a pause, timers run
      // before the sockets are read, so an answer that arrived meanwhile is still unread. It gets a moment
      // before the request is abandoned: a refresh's answer holds the only valid refresh token (rotation),
      // and a process that was paused has waited past its deadline anyway.
      if (options.clock.now() - due < STALLED_MS) return expire()
      cancel = setTimer(options.clock, STALL_GRACE_MS, expire)
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

/**
 * The most of a token endpoint's (or JWT exchange's) body that is read: 64 KiB. Real answers are a few
 * hundred bytes (Workfront's documented one is under 4 KB with every field); a body past the bound is not
 * an answer to parse but a flood to stop (one of 256 MB once took 1.1 GB of memory to refuse).
 */
export const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024

/**
 * Reads a body as UTF-8 text, chunk by chunk, up to `maxBytes`: past it the stream is cancelled and
 * `complete` is false, with what came before the bound as `text`. A `Content-Length` over the bound is
 * believed without reading anything.
 */
export async function readBoundedText(
  response: Response,
  maxBytes: number,
): Promise<{ text: string; complete: boolean }> {
  const body = response.body
  if (body === null) return { text: '', complete: true }
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > maxBytes) {
    await body.cancel().catch(() => undefined)
    return { text: '', complete: false }
  }
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let text = ''
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { text: text + decoder.decode(), complete: true }
    const room = maxBytes - total
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      return { text: text + decoder.decode(value.subarray(0, room)), complete: false }
    }
    text += decoder.decode(value, { stream: true })
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
