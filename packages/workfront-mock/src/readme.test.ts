/** The README's examples run as they are written (the docs harness keeps the README identical to them). */
import { afterEach, expect, it, vi } from 'vitest'

afterEach(() => {
  vi.restoreAllMocks()
})

it('examples/readme.ts runs the code flow in-process and prints what the comments say', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {})
  await import('../examples/readme.ts')
  expect(log.mock.calls).toEqual([
    ['callback:', 'acme', 'xyz'],
    ['token type:', 'sessionID'],
    ['projects:', 200],
    ['after 8 idle hours:', 401, { '200': 1, '401': 1 }],
  ])
})

it('examples/knobs.ts runs', async () => {
  await expect(import('../examples/knobs.ts')).resolves.toBeDefined()
})
