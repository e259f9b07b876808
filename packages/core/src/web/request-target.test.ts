import { describe, expect, it } from 'vitest'
import { isWorkfrontOAuthError } from '../errors.ts'
import { absoluteRequestURL } from './request-target.ts'

const origin = 'https://app.example.com'

/** The error code `absoluteRequestURL` throws for these arguments, or the URL it builds. */
function outcome(target: string, host?: string | null): string {
  try {
    return absoluteRequestURL(target, { origin, host }).href
  } catch (error) {
    if (isWorkfrontOAuthError(error)) return `error ${error.code} ${error.message}`
    throw error
  }
}

describe('absoluteRequestURL', () => {
  it('puts an origin-form target at the configured origin', () => {
    expect(outcome('/auth/callback?code=c&state=s')).toBe(
      'https://app.example.com/auth/callback?code=c&state=s',
    )
    expect(outcome('/')).toBe('https://app.example.com/')
    expect(outcome('/a?')).toBe('https://app.example.com/a?')
  })

  it('never lets the target pick the host', () => {
    // A path that begins with two slashes is a path, not a network-path reference to another host.
    expect(outcome('//evil.example/auth/login')).toBe('https://app.example.com//evil.example/auth/login')
    // The absolute form (from proxies) keeps its path and query, never its host or scheme.
    expect(outcome('http://evil.example:81/auth/login?returnTo=/x')).toBe(
      'https://app.example.com/auth/login?returnTo=/x',
    )
    // A fragment cannot sneak in: it is escaped as the rest of the path or query.
    expect(outcome('/a#b?c#d')).toBe('https://app.example.com/a%23b?c%23d')
  })

  it('refuses targets that are not paths with bad_request', () => {
    for (const target of ['*', 'example.com:443', '', 'auth/login', 'javascript:alert(1)', 'ftp://x/y']) {
      expect(outcome(target)).toMatch(/^error bad_request The request target is not a path/)
    }
  })

  it('takes a trusted Host header, checked, with the origin’s scheme', () => {
    expect(outcome('/x', 'tenant.example.com')).toBe('https://tenant.example.com/x')
    expect(outcome('/x', '127.0.0.1:3000')).toBe('https://127.0.0.1:3000/x')
    expect(outcome('/x', '[::1]:8443')).toBe('https://[::1]:8443/x')
    expect(outcome('/x', null)).toBe('https://app.example.com/x')
    for (const host of [
      '',
      'evil.example/path',
      'a@b',
      'a b',
      'x:99999999',
      'a:b',
      '[zz]',
      'a.example\r\n',
    ]) {
      expect(outcome('/x', host)).toMatch(/^error bad_request The Host header/)
    }
  })

  it('says nothing of the target in its message (a callback carries the code)', () => {
    expect(outcome('secret-code-in-a-bad-target')).not.toContain('secret')
  })
})
