/**
 * A free loopback port, written once for the whole repository: the published testing entry needs it for the
 * servers it starts, and the private test kit (`@workfront-oauth/test-kit/node`) re-exports this file, since
 * a published package cannot depend on the private kit (and the kit cannot depend on this package, whose
 * tests use the kit: a cycle). Node only.
 */
import { createServer } from 'node:net'

/**
 * A port that was free on 127.0.0.1 a moment ago, taken below Linux's ephemeral range (32768–60999 by
 * default): outgoing connections (a storm's, another suite's) take their source ports from that range, so a
 * port the OS handed out and took back could be reused by one before the caller binds it. Tried by binding.
 * The caller must still cope with losing a race for it to another process.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    if (await canListen(port)) return port
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => resolve(false))
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)))
  })
}
