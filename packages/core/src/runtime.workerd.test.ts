import { expect, it } from 'vitest'

it('runs inside workerd (the Cloudflare Workers runtime)', () => {
  expect(navigator.userAgent).toBe('Cloudflare-Workers')
})
