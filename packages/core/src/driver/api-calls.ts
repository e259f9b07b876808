/**
 * Calls to the Workfront API on behalf of a grant: the session goes in the `sessionID` header, paths stay
 * under `/attask/api/<version>/`, an expired session (401, or HTTP 200 with an `AuthenticationException`
 * envelope) is refreshed and the call retried once, and 429 becomes a typed `rate_limited`.
 */
import { hasControlCharacters } from '../encoding.ts'
import { isWorkfrontOAuthError, WorkfrontOAuthError } from '../errors.ts'
import { isRedirect, parseRetryAfter, sendWithDeadline } from '../http.ts'
import type { Clock, HTTPClient } from '../ports.ts'
import { safeCause } from '../protocol.ts'
import type { AccessToken } from './refresh.ts'

export interface APICallsOptions {
  http: HTTPClient
  apiVersion: string
  /** Deadline of one request, until the response headers. */
  timeoutMs: number
  clock: Clock
  /** The grant's access token; with `rejectedAccessToken`, a fresh one (see `AccessTokens.get`). */
  accessToken(grantId: string, options?: { rejectedAccessToken?: string }): Promise<AccessToken>
}

export interface APICalls {
  fetch(grantId: string, path: string, init?: RequestInit): Promise<Response>
  /** Ends the Workfront session behind `accessToken` (best effort): true when Workfront confirmed it. */
  endSession(origin: string, accessToken: string): Promise<boolean>
}

export function createAPICalls(options: APICallsOptions): APICalls {
  const { http, apiVersion, timeoutMs, clock } = options

  async function call(token: AccessToken, path: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers)
    headers.set('sessionID', token.accessToken)
    if (!headers.has('accept')) headers.set('accept', 'application/json')
    try {
      const response = await sendWithDeadline(
        http,
        apiURL(token.origin, apiVersion, path),
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
    }
  }

  return {
    async fetch(grantId, path, init = {}) {
      const replayable =
        init.body === undefined || init.body === null || !(init.body instanceof ReadableStream)
      const token = await options.accessToken(grantId)
      const first = await sessionRejected(await call(token, path, init))
      let response = first.response
      if (first.rejected) {
        if (!replayable) return response
        await response.body?.cancel()
        const fresh = await options.accessToken(grantId, { rejectedAccessToken: token.accessToken })
        response = await call(fresh, path, init)
      }
      if (response.status === 429) {
        await response.body?.cancel()
        throw new WorkfrontOAuthError('rate_limited', 'Workfront is rate limiting this client', {
          status: 429,
          retryAfter: parseRetryAfter(response.headers.get('retry-after'), clock.now()),
        })
      }
      return response
    },

    async endSession(origin, accessToken) {
      try {
        const response = await sendWithDeadline(
          http,
          `${origin}/attask/api/${apiVersion}/logout`,
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

/** The URL of an API path; refuses anything that would leave `/attask/api/<version>/`. */
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
  return `${origin}/attask/api/${apiVersion}/${relative}`
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
