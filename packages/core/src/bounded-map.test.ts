import { describe, expect, it, vi } from 'vitest'
import { createBoundedMap } from './bounded-map.ts'
import { createFakeClock } from './testing.ts'
import { createWebFlow } from './web/flow.ts'
import { createCookieSigner } from './web/signer.ts'

describe('bounded map', () => {
  it('holds at most maxEntries under 100 000 distinct keys, the oldest going first', () => {
    const map = createBoundedMap<number>({
      maxEntries: 1_000,
      maxAgeMs: 60_000,
      clock: createFakeClock(),
      name: 't',
    })
    for (let i = 0; i < 100_000; i++) map.set(`k${i}`, i)
    expect(map.size).toBe(1_000)
    expect(map.get('k98999')).toBeUndefined()
    expect(map.get('k99000')).toBe(99_000)
  })

  it('never returns an entry at or past its maximum age', () => {
    const clock = createFakeClock()
    const map = createBoundedMap<string>({ maxEntries: 10, maxAgeMs: 100, clock, name: 't' })
    map.set('a', 'x')
    clock.advance(99)
    expect(map.get('a')).toBe('x')
    clock.advance(1)
    expect(map.get('a')).toBeUndefined()
    expect(map.size).toBe(0)
  })

  it.each([
    [0, 1],
    [1.5, 1],
    [1, -1],
    [1, Number.NaN],
  ])('refuses maxEntries %s / maxAgeMs %s', (maxEntries, maxAgeMs) => {
    expect(() =>
      createBoundedMap({ maxEntries, maxAgeMs, clock: createFakeClock(), name: 'someCache' }),
    ).toThrow(/someCache/)
  })
})

const SECRET = 'a-cookie-secret-of-at-least-32-characters'
const OLD = 'the-previous-cookie-secret-0123456789abc'

describe('verified-cookie cache', () => {
  /** Counts the HMACs computed (the spy calls through: the real Web Crypto does the work). */
  function countHMACs() {
    const spy = vi.spyOn(crypto.subtle, 'sign')
    return { count: () => spy.mock.calls.length, restore: () => spy.mockRestore() }
  }

  it('checks a session cookie once per process, then takes it by its exact value', async () => {
    const clock = createFakeClock()
    const signer = createCookieSigner([SECRET], { cache: { maxAgeMs: 60_000 }, clock })
    // Signed by another process (another signer with the same secret).
    const cookie = await createCookieSigner([SECRET]).sign('s', 'grant-1')
    const hmacs = countHMACs()
    try {
      for (let i = 0; i < 20; i++) expect(await signer.verify('s', cookie)).toBe('grant-1')
      expect(hmacs.count()).toBe(1)
      // Any other byte is another cookie: checked, and refused.
      expect(await signer.verify('s', `${cookie.slice(0, -1)}A`)).toBeNull()
      expect(await signer.verify('t', cookie)).toBeNull()
      // Past the maximum age, the signature is checked again.
      clock.advance(60_000)
      expect(await signer.verify('s', cookie)).toBe('grant-1')
      expect(hmacs.count()).toBe(4)
    } finally {
      hmacs.restore()
    }
  })

  it('knows the cookies it signed: the login cookie at the callback costs no second HMAC', async () => {
    const signer = createCookieSigner([SECRET], { cache: {} })
    const hmacs = countHMACs()
    try {
      const cookie = await signer.sign('login', 'nonce-1')
      expect(await signer.verify('login', cookie)).toBe('nonce-1')
      expect(hmacs.count()).toBe(1)
    } finally {
      hmacs.restore()
    }
  })

  it('does not remember refusals: a forged cookie is checked every time', async () => {
    const signer = createCookieSigner([SECRET], { cache: {} })
    const hmacs = countHMACs()
    try {
      for (let i = 0; i < 5; i++) expect(await signer.verify('s', 'grant-1.forged')).toBeNull()
      expect(hmacs.count()).toBe(5)
    } finally {
      hmacs.restore()
    }
  })

  it('honours key rotation: a secret that was dropped verifies nothing, cached elsewhere or not', async () => {
    const cookie = await createCookieSigner([OLD]).sign('s', 'grant-1')
    const during = createCookieSigner([SECRET, OLD], { cache: {} })
    expect(await during.verify('s', cookie)).toBe('grant-1')
    expect(await during.verify('s', cookie)).toBe('grant-1')
    const after = createCookieSigner([SECRET], { cache: {} })
    expect(await after.verify('s', cookie)).toBeNull()
  })

  it('stays bounded under many distinct sessions: the oldest are checked again', async () => {
    const signer = createCookieSigner([SECRET], { cache: { maxEntries: 100 } })
    const cookies = await Promise.all(Array.from({ length: 300 }, (_, i) => signer.sign('s', `grant-${i}`)))
    for (const cookie of cookies) await signer.verify('s', cookie)
    const hmacs = countHMACs()
    try {
      await signer.verify('s', cookies[299] as string)
      expect(hmacs.count()).toBe(0)
      await signer.verify('s', cookies[0] as string)
      expect(hmacs.count()).toBe(1)
    } finally {
      hmacs.restore()
    }
  })

  it('serves the web flow: one HMAC per session cookie, the exact value and name only, and an age bound', async () => {
    const clock = createFakeClock()
    const flow = createWebFlow({
      oauth: {} as never,
      appOrigin: 'https://app.example.com',
      cookieSecrets: [SECRET],
      verifiedCookieCache: { maxAgeMs: 60_000 },
      clock,
    })
    const name = flow.cookieNames.session
    const cookie = await createCookieSigner([SECRET]).sign(name, 'grant-1')
    const session = (header: string): Promise<string | null> =>
      flow.session(new Request('https://app.example.com/', { headers: { cookie: header } }))
    const hmacs = countHMACs()
    try {
      for (let i = 0; i < 20; i++) expect(await session(`theme=dark; ${name}=${cookie}`)).toBe('grant-1')
      expect(hmacs.count()).toBe(1)
      expect(await session(`${name}=${cookie.slice(0, -1)}A`)).toBeNull()
      // The same value under the login cookie's name is another cookie.
      expect(await session(`${flow.cookieNames.login}=${cookie}`)).toBeNull()
      expect(hmacs.count()).toBe(2)
      clock.advance(60_000)
      expect(await session(`${name}=${cookie}`)).toBe('grant-1')
      expect(hmacs.count()).toBe(3)
    } finally {
      hmacs.restore()
    }
  })
})
