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
