/** Waiting for a condition without a deadline of its own (Web-standard: workerd tests use it too). */

/**
 * Resolves once `check()` holds (a throw counts as "not yet"). It polls, backing off from 10 ms to 250 ms,
 * for as long as it takes: the test's hang guard is the only bound, so a slow machine waits longer instead of
 * failing.
 */
export async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let interval = 10; ; interval = Math.min(250, interval * 2)) {
    try {
      if (await check()) return
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
}
