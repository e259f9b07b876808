import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { freePort, retryWhenPortTaken } from './ports.ts'

describe('retryWhenPortTaken', () => {
  it('starts again when the port was taken between the probe and the bind', async () => {
    const taken = createServer()
    const port = await freePort()
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve))
    const tried: number[] = []
    try {
      const started = await retryWhenPortTaken(async () => {
        const next = tried.length === 0 ? port : await freePort()
        tried.push(next)
        const server = createServer()
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(next, '127.0.0.1', resolve)
        })
        return server
      })
      expect(tried).toHaveLength(2)
      expect(tried[1]).not.toBe(port)
      await new Promise((resolve) => started.close(resolve))
    } finally {
      await new Promise((resolve) => taken.close(resolve))
    }
  })

  it('gives up after three tries, and never retries other failures', async () => {
    let calls = 0
    const inUse = retryWhenPortTaken(async () => {
      calls++
      throw new Error('Address already in use (127.0.0.1:1)')
    })
    await expect(inUse).rejects.toThrow('Address already in use')
    expect(calls).toBe(3)
    calls = 0
    const other = retryWhenPortTaken(async () => {
      calls++
      throw new Error('wrangler dev exited (1) before it was ready')
    })
    await expect(other).rejects.toThrow('exited (1)')
    expect(calls).toBe(1)
  })
})
