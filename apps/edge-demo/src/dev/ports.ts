/** Free loopback ports, for the launcher and the tests. Node only. */

// The repository's one free-port helper (the test kit re-exports the same file). A relative import, so that
// tsdown bundles it into the launcher, which runs from `dist/` without the TypeScript sources of the kit.
export { freePort } from '../../../../packages/redis-store/src/testing/ports.ts'

const PORT_TAKEN = /EADDRINUSE|is in use|Address already in use/

/**
 * Runs `start` (which picks its ports with `freePort`) again when it lost a port to another process between
 * the probe and its own bind, as parallel test suites on one machine do now and then; at most three tries.
 */
export async function retryWhenPortTaken<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start()
    } catch (error) {
      if (attempt >= 3 || !PORT_TAKEN.test(String(error))) throw error
    }
  }
}
