/**
 * Calls to the Workfront API on behalf of a grant: the session goes in the `sessionID` header, paths stay
 * under `/attask/api/<version>/`, an expired session (401, or HTTP 200 with an `AuthenticationException`
 * envelope) is refreshed and the call retried once, and 429 becomes a typed `rate_limited` — after the
 * opted-in retries of an idempotent request, which wait as `Retry-After` says. Workfront's limits are
 * checked here too: a URI over 8,892 bytes is refused before it is sent, and an opt-in cap bounds the
 * requests in flight per tenant.
 * @see WORKFRONT.md "API versions and limits"
 */

import { sessionOf, unwrap } from '../api-answers.ts'
import { apiBasePath } from '../api-versions.ts'
import { hasControlCharacters, isTokenText } from '../encoding.ts'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import { isRedirect, parseRetryAfter, sendWithDeadline } from '../http.ts'
import type { OperationObserver } from '../instrumentation.ts'
import { hostOf } from '../instrumentation.ts'
import type { WorkfrontUser } from '../machine.ts'
import type { Clock, HTTPClient, RandomSource } from '../ports.ts'
import { sleep } from '../timers.ts'
import { MAX_TOKEN_LENGTH, safeCause } from '../token-answers.ts'
import type { AccessToken } from './access-tokens.ts'

export interface APICallsOptions {
  http: HTTPClient
  apiVersion: string
  /** Deadline of one request, until the response headers. */
  timeoutMs: number
  clock: Clock
  random: RandomSource
  limits?: APILimits
  /** The grant's access token; with `rejectedAccessToken`, a fresh one (see `AccessTokens.get`). */
  accessToken(
    grantId: string,
    options?: { rejectedAccessToken?: string; observer?: OperationObserver },
  ): Promise<AccessToken>
}

/** Opt-in handling of Workfront's per-org limits. */
export interface APILimits {
  /**
   * At most this many API requests of this process in flight per tenant (until their response headers);
   * the others wait their turn, in order. Workfront limits concurrent requests per org: give each process
   * its share. Default: no cap.
   */
  maxConcurrent?: number
  /**
   * How many times an idempotent request (GET, HEAD, OPTIONS, PUT, DELETE with a replayable body) answered
   * 429 is sent again. Default 0: `rate_limited` at once.
   */
  retries?: number
  /** The first wait before a retry; it doubles each time (with jitter). `Retry-After` wins when longer. Default 500 ms. */
  baseDelayMs?: number
  /** The longest wait: a `Retry-After` beyond it is not waited for (`rate_limited` is thrown). Default 30 s. */
  maxDelayMs?: number
}

/** Workfront's CDN refuses longer URIs. */
export const MAX_URI_BYTES = 8_892

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

export interface APICalls {
  /** `observer`: the instrumentation's observer of the call (told of its refresh and response). */
  fetch(grantId: string, path: string, init?: RequestInit, observer?: OperationObserver): Promise<Response>
  /** Ends the Workfront session behind `accessToken` (best effort): true when Workfront confirmed it. */
  endSession(origin: string, accessToken: string): Promise<boolean>
  /** Who the session behind `accessToken` belongs to (`GET session`), with the profile (`GET user/<id>`). */
  readUser(origin: string, accessToken: string, profile: boolean): Promise<WorkfrontUser>
}

export function createAPICalls(options: APICallsOptions): APICalls {
  const { http, apiVersion, timeoutMs, clock, random } = options
  const limits = checkLimits(options.limits ?? {})
  const slots = createSlots(limits.maxConcurrent)

  async function call(token: AccessToken, path: string, init: RequestInit): Promise<Response> {
    const url = apiURL(token.origin, apiVersion, path)
    // `Headers` would throw a TypeError that quotes the token; tokens are checked when they arrive, so
    // only a record stored before that check can get here.
    if (!sendable(token.accessToken)) {
      throw new WorkfrontOAuthError('unexpected_response', 'The stored session cannot be sent in a header')
    }
    const headers = new Headers(init.headers)
    headers.set('sessionID', token.accessToken)
    if (!headers.has('accept')) headers.set('accept', 'application/json')
    const release = await slots.take(token.origin)
    try {
      const response = await sendWithDeadline(
        http,
        url,
        { ...init, headers },
        {
          timeoutMs,
          clock,
          onTimeout: () =>
            new WorkfrontOAuthError('api_unreachable', `Workfront did not answer in ${timeoutMs} ms`),
          read: async (r) => r,
        },
      )
      if (isRedirect(response)) {
        throw new WorkfrontOAuthError(
          'unexpected_response',
          'The Workfront API answered with a redirect, which is not followed',
          { status: response.status },
        )
      }
      return response
    } catch (error) {
      if (isWorkfrontOAuthError(error)) throw error
      throw new WorkfrontOAuthError('api_unreachable', 'The Workfront API could not be reached', {
        cause: safeCause(error),
      })
    } finally {
      release()
    }
  }

  /**
   * One attempt: the call, and once more with a fresh session if Workfront rejected this one — or if it
   * cannot be sent at all (then nothing was sent, and the call may go even if it is not replayable).
   */
  async function attempt(
    grantId: string,
    path: string,
    init: RequestInit,
    replayable: boolean,
    observer: OperationObserver | undefined,
  ) {
    const token = await options.accessToken(grantId, observer ? { observer } : undefined)
    observer?.tenant(hostOf(token.origin))
    if (sendable(token.accessToken)) {
      const first = await sessionRejected(await call(token, path, init))
      if (!first.rejected || !replayable) return first.response
      await first.response.body?.cancel()
    }
    const fresh = await options.accessToken(grantId, { rejectedAccessToken: token.accessToken, observer })
    return call(fresh, path, init)
  }

  /** Exponential backoff with equal jitter: half the delay fixed, half random. */
  function backoff(retry: number): number {
    const delay = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** retry)
    return delay / 2 + ((random.bytes(1)[0] as number) / 255) * (delay / 2)
  }

  return {
    async fetch(grantId, path, init = {}, observer) {
      const replayable =
        init.body === undefined || init.body === null || !(init.body instanceof ReadableStream)
      const retries = replayable && IDEMPOTENT.has((init.method ?? 'GET').toUpperCase()) ? limits.retries : 0
      for (let retry = 0; ; retry++) {
        const response = await attempt(grantId, path, init, replayable, observer)
        observer?.response(response.status, retry)
        if (response.status !== 429) return response
        await response.body?.cancel()
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'), clock.now())
        const wait = Math.max(backoff(retry), (retryAfter ?? 0) * 1000)
        if (retry >= retries || wait > limits.maxDelayMs) {
          throw new WorkfrontOAuthError('rate_limited', 'Workfront is rate limiting this client', {
            status: 429,
            retryAfter,
          })
        }
        await sleep(clock, wait)
      }
    },

    async readUser(origin, accessToken, profile) {
      const token: AccessToken = { grantId: '', origin, accessToken, tokenType: 'sessionID' }
      const { userID } = sessionOf(await unwrap(await call(token, 'session', {})))
      if (!profile) return { userID, name: null, username: null, emailAddr: null }
      const user = await unwrap<Record<string, unknown> | undefined>(
        await call(token, `user/${encodeURIComponent(userID)}?fields=name,username,emailAddr`, {}),
      )
      const text = (value: unknown): string | null =>
        typeof value === 'string' && value !== '' ? value : null
      return {
        userID,
        name: text(user?.name),
        username: text(user?.username),
        emailAddr: text(user?.emailAddr),
      }
    },

    async endSession(origin, accessToken) {
      if (!sendable(accessToken)) return false
      try {
        const response = await sendWithDeadline(
          http,
          `${origin}${apiBasePath(apiVersion)}/logout`,
          { method: 'GET', headers: { sessionID: accessToken } },
          {
            timeoutMs,
            clock,
            onTimeout: () =>
              new WorkfrontOAuthError('api_unreachable', 'Workfront did not answer the logout'),
            read: async (r) => {
              await r.body?.cancel()
              return r
            },
          },
        )
        return response.ok
      } catch {
        return false
      }
    },
  }
}

const sendable = (accessToken: string): boolean => isTokenText(accessToken, MAX_TOKEN_LENGTH)

/**
 * The URL of an API path; refuses anything that would leave `/attask/api/<version>/`, and URIs longer than
 * Workfront's CDN takes ({@link MAX_URI_BYTES}, counted as sent: percent-encoded).
 */
export function apiURL(origin: string, apiVersion: string, path: string): string {
  const relative = path.startsWith('/') ? path.slice(1) : path
  const pathname = relative.split(/[?#]/, 1)[0] as string
  if (
    relative === '' ||
    relative.startsWith('/') ||
    /^[a-z][a-z0-9+.-]*:/i.test(relative) ||
    relative.includes('\\') ||
    hasControlCharacters(relative) ||
    pathname.split('/').some((segment) => segment === '..' || segment === '.' || /%2e|%2f|%5c/i.test(segment))
  ) {
    throw new WorkfrontOAuthError(
      'invalid_path',
      'API paths are relative to /attask/api/<version>/ and stay under it',
    )
  }
  const url = new URL(`${origin}${apiBasePath(apiVersion)}/${relative}`).href
  if (url.length > MAX_URI_BYTES) {
    throw new WorkfrontOAuthError(
      'uri_too_long',
      `The request URI is ${url.length} bytes; Workfront accepts at most ${MAX_URI_BYTES}`,
    )
  }
  return url
}

function checkLimits(limits: APILimits): Required<Omit<APILimits, 'maxConcurrent'>> & {
  maxConcurrent: number | undefined
} {
  const whole = (name: string, value: number | undefined, min: number, fallback: number): number => {
    if (value === undefined) return fallback
    if (!Number.isSafeInteger(value) || value < min) {
      throw new WorkfrontOAuthError('invalid_options', `apiLimits.${name} must be a whole number ≥ ${min}`)
    }
    return value
  }
  return {
    maxConcurrent:
      limits.maxConcurrent === undefined ? undefined : whole('maxConcurrent', limits.maxConcurrent, 1, 1),
    retries: whole('retries', limits.retries, 0, 0),
    baseDelayMs: whole('baseDelayMs', limits.baseDelayMs, 1, 500),
    maxDelayMs: whole('maxDelayMs', limits.maxDelayMs, 1, 30_000),
  }
}

/** Per-tenant slots: at most `max` holders per origin, the others served in arrival order. */
function createSlots(max: number | undefined): { take(origin: string): Promise<() => void> } {
  const tenants = new Map<string, { active: number; waiting: Array<() => void> }>()
  const none = (): void => {}
  return {
    async take(origin) {
      if (max === undefined) return none
      let tenant = tenants.get(origin)
      if (!tenant) {
        tenant = { active: 0, waiting: [] }
        tenants.set(origin, tenant)
      }
      const slots = tenant
      if (slots.active < max) slots.active += 1
      else await new Promise<void>((resolve) => slots.waiting.push(resolve))
      let released = false
      return () => {
        if (released) return
        released = true
        // Hand the slot straight to the next in line, or free it.
        const next = slots.waiting.shift()
        if (next) next()
        else if (--slots.active === 0) tenants.delete(origin)
      }
    },
  }
}

/**
 * Whether Workfront rejected the session: a 401, or HTTP 200 with an `AuthenticationException` error
 * envelope. Reading the body to tell uses it up, so the response to hand on comes back with the answer.
 */
export async function sessionRejected(
  response: Response,
): Promise<{ rejected: boolean; response: Response }> {
  if (response.status === 401) return { rejected: true, response }
  if (response.status !== 200 || !(response.headers.get('content-type') ?? '').includes('json')) {
    return { rejected: false, response }
  }
  const text = await response.text()
  const copy = new Response(text, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
  // A cheap look at the start of the body decides whether it is worth parsing.
  if (!/^\s*\{\s*"(?:data"\s*:\s*\{\s*")?error"/.test(text.slice(0, 64))) {
    return { rejected: false, response: copy }
  }
  try {
    const body = JSON.parse(text) as {
      error?: { class?: unknown }
      data?: { error?: { class?: unknown } }
    }
    const errorClass = body.error?.class ?? body.data?.error?.class
    return {
      rejected: typeof errorClass === 'string' && errorClass.endsWith('AuthenticationException'),
      response: copy,
    }
  } catch {
    return { rejected: false, response: copy }
  }
}
