const RESET = Symbol.for('@workfront-oauth/workfront-mock.connectionReset')

/**
 * What a dropped connection looks like to a `fetch` caller: undici rejects with
 * `TypeError: fetch failed` whose cause carries `ECONNRESET`.
 */
export function connectionReset(): TypeError {
  const cause = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
  const error = new TypeError('fetch failed', { cause })
  Object.defineProperty(error, RESET, { value: true })
  return error
}

/**
 * True for the error the mock throws to simulate a dropped connection (`injectFailure` kinds `reset` and
 * `dropAfterRotate`). A host app that mounts `mock.app` can rethrow it from its own `onError`, or drop
 * the socket, instead of turning it into a 500.
 */
export function isMockConnectionReset(error: unknown): boolean {
  return typeof error === 'object' && error !== null && RESET in error
}

export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve()
}

/**
 * The body as UTF-8 text. Read as bytes because workerd warns when `.text()` is called on a
 * form-encoded body.
 */
export async function bodyText(request: Request): Promise<string> {
  return new TextDecoder().decode(await request.arrayBuffer())
}
