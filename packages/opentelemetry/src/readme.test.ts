/** The README's example runs: it prints the spans and the API's status (examples/readme.ts). */
import { expect, it, vi } from 'vitest'

it('the README example signs in, calls the API and prints the spans of each operation', async () => {
  const printed: unknown[][] = []
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args)
  })
  const dir = vi.spyOn(console, 'dir').mockImplementation((...args: unknown[]) => {
    printed.push(args)
  })
  try {
    await import('../examples/readme.ts')
  } finally {
    log.mockRestore()
    dir.mockRestore()
  }
  const text = JSON.stringify(printed)
  expect(text).toContain('API status:')
  expect(printed).toContainEqual(['API status:', 200])
  for (const name of ['workfront_oauth.login', 'workfront_oauth.callback', 'workfront_oauth.api_call']) {
    expect(text).toContain(name)
  }
})
