import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { eventually } from './eventually.ts'
import { freePort, launchChromium } from './node.ts'

describe('the Node kit', () => {
  it('freePort gives a port a server can listen on, outside the ephemeral range', async () => {
    const port = await freePort()
    // Below the ephemeral range, which outgoing connections take their source ports from.
    expect(port).toBeLessThan(32_768)
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    expect(server.address()).toMatchObject({ port })
    await new Promise((resolve) => server.close(resolve))
  })

  it('eventually waits through false and throws until the condition holds', async () => {
    let calls = 0
    await eventually(() => {
      calls++
      if (calls < 3) throw new Error('not yet')
      return calls >= 6
    })
    expect(calls).toBe(6)
  })

  it('launchChromium starts Debian’s headless Chromium', async () => {
    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.setContent('<p id="p">hello</p>')
      expect(await page.textContent('#p')).toBe('hello')
    } finally {
      await browser.close()
    }
  })
})
