import type { HTTPClient } from './ports.ts'

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
  timeoutMs: number,
  onTimeout: () => Error,
  read: (response: Response) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = onTimeout()
      controller.abort(error)
      reject(error)
    }, timeoutMs)
  })
  try {
    return await Promise.race([http(url, { ...init, redirect: 'manual', signal }).then(read), deadline])
  } finally {
    clearTimeout(timer)
  }
}

export function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)
}

/** Parses `Retry-After` (seconds or an HTTP date) into whole seconds. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}
