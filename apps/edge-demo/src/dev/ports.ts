/** Free loopback ports, for the launcher and the tests. Node only. */
import { createServer } from 'node:net'

/** A port that was free on 127.0.0.1 a moment ago (the caller must still cope with losing a race for it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      probe.close(() => {
        if (typeof address === 'object' && address) resolve(address.port)
        else reject(new Error('no port'))
      })
    })
  })
}

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
