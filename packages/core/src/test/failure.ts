import type { WorkfrontOAuthError } from '../errors.ts'
import { isWorkfrontOAuthError } from '../errors.ts'

/** Awaits a promise that must reject with a `WorkfrontOAuthError`, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<WorkfrontOAuthError> {
  try {
    await promise
  } catch (error) {
    if (isWorkfrontOAuthError(error)) return error
    throw error
  }
  throw new Error('expected a WorkfrontOAuthError')
}
