/** The rejection of an operation that got no answer in time. */
export class StoreTimeoutError extends Error {
  override readonly name = 'StoreTimeoutError'
  constructor(ms: number) {
    super(`no answer within ${ms} ms`)
  }
}

/** `task`, or a `StoreTimeoutError` after `ms`. */
export async function within<T>(task: PromiseLike<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(ms)), ms)
  })
  try {
    return await Promise.race([task, timeout])
  } finally {
    clearTimeout(timer)
  }
}
