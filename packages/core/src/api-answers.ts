/**
 * Reading a Workfront API answer: the `data` of its envelope or a typed error, and the checked answer of
 * `GET session`. A leaf module: the client's API calls and `createWorkfrontClient` both use it.
 */
import { WorkfrontOAuthError } from './errors.ts'

/** What `GET session` says about the signed-in user's session (other fields vary by version). */
export interface WorkfrontSession {
  /** The signed-in user's ID. */
  userID: string
  /** The other fields Workfront returns for the session. */
  [field: string]: unknown
}

/**
 * The `data` of a Workfront API answer; its `{ error }` envelope (also inside a 200) as a typed error:
 * `reauthorization_required` for a 401, else `api_error` with Workfront's error class.
 */
export async function unwrap<T>(response: Response): Promise<T> {
  let body: { data?: unknown; error?: { class?: unknown; message?: unknown } }
  try {
    body = (await response.json()) as typeof body
  } catch {
    throw new WorkfrontOAuthError(
      'unexpected_response',
      `The Workfront API answered with something that is not JSON`,
      { status: response.status },
    )
  }
  const error = body.error ?? (body.data as { error?: { class?: unknown } } | undefined)?.error
  if (!response.ok || error) {
    const cls =
      typeof error?.class === 'string' && /^[\w.$]{1,200}$/.test(error.class) ? error.class : undefined
    const status = response.status
    if (status === 401) {
      throw new WorkfrontOAuthError('reauthorization_required', 'Workfront does not accept this session', {
        status,
        upstreamCode: cls,
      })
    }
    throw new WorkfrontOAuthError(
      'api_error',
      `The Workfront API refused the request (HTTP ${status}${cls ? `, ${cls}` : ''})`,
      { status, upstreamCode: cls },
    )
  }
  return body.data as T
}

/** What `GET session` answered, checked: it must say who is signed in. */
export function sessionOf(data: Partial<WorkfrontSession> | undefined): WorkfrontSession {
  if (typeof data?.userID !== 'string' || data.userID === '') {
    throw new WorkfrontOAuthError('unexpected_response', 'Workfront did not say who is signed in')
  }
  return data as WorkfrontSession
}
