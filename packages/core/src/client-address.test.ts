import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { TrustedProxyOptions } from './client-address.ts'
import { createClientAddressResolver } from './client-address.ts'

/** A request with these header lines (repeated names are separate lines, as a proxy chain may send them). */
function request(...lines: Array<[string, string]>): Request {
  const headers = new Headers()
  for (const [name, value] of lines) headers.append(name, value)
  return new Request('https://app.example.com/auth/login', { headers })
}

const xff = (value: string): Request => request(['x-forwarded-for', value])
const resolve = (options: TrustedProxyOptions, peer: string | null | undefined, req: Request = request()) =>
  createClientAddressResolver(options)(req, peer)

describe('createClientAddressResolver', () => {
  it('trusts nothing by default: the peer is the client, whatever the header says', () => {
    expect(resolve({}, '203.0.113.5', xff('198.51.100.1'))).toBe('203.0.113.5')
    expect(resolve({ hops: 0 }, '203.0.113.5', xff('198.51.100.1'))).toBe('203.0.113.5')
    // Node reports IPv4 peers of a dual-stack socket as IPv4-mapped IPv6: one client, one key.
    expect(resolve({}, '::ffff:203.0.113.5')).toBe('203.0.113.5')
  })

  it('never reads the header when the peer is not a trusted proxy (a spoofed header changes nothing)', () => {
    const options = { proxies: ['10.0.0.0/8', 'fd00::/8'] }
    for (const spoof of ['198.51.100.1', '10.0.0.1', '198.51.100.1, 10.0.0.2', 'garbage', '']) {
      expect(resolve(options, '203.0.113.5', xff(spoof))).toBe('203.0.113.5')
      expect(resolve(options, '2001:db8::5', xff(spoof))).toBe('2001:db8::5')
    }
  })

  it('hops: the peer and the next hops-1 addresses from the right are proxies; what the client wrote is ignored', () => {
    // The client sent "X-Forwarded-For: 1.1.1.1"; the one proxy appended the address it saw.
    expect(resolve({ hops: 1 }, '10.0.0.2', xff('1.1.1.1, 198.51.100.7'))).toBe('198.51.100.7')
    // A CDN then a load balancer: the load balancer appended the CDN's address.
    expect(resolve({ hops: 2 }, '10.0.0.2', xff('1.1.1.1, 198.51.100.7, 192.0.2.10'))).toBe('198.51.100.7')
    // No header: the proxy did not forward anything; the peer is all we know.
    expect(resolve({ hops: 1 }, '10.0.0.2')).toBe('10.0.0.2')
    // A shorter chain than the hops configured: the farthest address read.
    expect(resolve({ hops: 3 }, '10.0.0.2', xff('198.51.100.7'))).toBe('198.51.100.7')
  })

  it('proxies: skips every trusted address from the right, the first untrusted one is the client', () => {
    const options = { proxies: ['10.0.0.0/8', '172.16.0.0/12', '192.0.2.10'] }
    expect(resolve(options, '10.1.2.3', xff('1.1.1.1, 198.51.100.7, 192.0.2.10, 172.20.0.1'))).toBe(
      '198.51.100.7',
    )
    // Just outside the /12.
    expect(resolve(options, '10.1.2.3', xff('198.51.100.7, 172.32.0.1'))).toBe('172.32.0.1')
    // Everything trusted: the farthest address.
    expect(resolve(options, '10.1.2.3', xff('10.9.9.9, 172.16.0.1'))).toBe('10.9.9.9')
    // /0 and /32 edges.
    expect(resolve({ proxies: ['0.0.0.0/0'] }, '203.0.113.5', xff('198.51.100.7'))).toBe('198.51.100.7')
    expect(resolve({ proxies: ['192.0.2.10/32'] }, '192.0.2.11', xff('198.51.100.7'))).toBe('192.0.2.11')
  })

  it('hops and proxies together: the first hops addresses, and any listed one after them', () => {
    // The load balancer's address changes (hops: 1); the CDN's ranges are published (proxies).
    const options = { hops: 1, proxies: ['192.0.2.0/24'] }
    expect(resolve(options, '10.0.0.2', xff('198.51.100.7, 192.0.2.10'))).toBe('198.51.100.7')
    expect(resolve(options, '10.0.0.2', xff('198.51.100.7, 203.0.113.1'))).toBe('203.0.113.1')
  })

  it('IPv6: ranges, bracketed forms, RFC 5952 output; IPv4-mapped addresses count as IPv4', () => {
    const options = { proxies: ['::1', 'fd00::/8', '10.0.0.0/8'] }
    expect(resolve(options, '::1', xff('2001:DB8:0:0:0:0:0:1'))).toBe('2001:db8::1')
    expect(resolve(options, 'fd12:3456::9', xff('[2001:db8::7]:443, fd00::1'))).toBe('2001:db8::7')
    expect(resolve(options, 'fe00::1', xff('2001:db8::7'))).toBe('fe00::1')
    // A dual-stack socket's mapped peer matches the IPv4 range; a mapped entry is reported as IPv4.
    expect(resolve(options, '::ffff:10.0.0.2', xff('::ffff:198.51.100.7'))).toBe('198.51.100.7')
    expect(resolve(options, '::ffff:a00:2', xff('198.51.100.7'))).toBe('198.51.100.7')
    // A mapped range is its IPv4 range.
    expect(resolve({ proxies: ['::ffff:10.0.0.0/104'] }, '10.1.2.3', xff('198.51.100.7'))).toBe(
      '198.51.100.7',
    )
    // An IPv6 range does not match IPv4 addresses, nor the reverse.
    expect(resolve({ proxies: ['::/0'] }, '10.1.2.3', xff('198.51.100.7'))).toBe('10.1.2.3')
    expect(resolve({ proxies: ['0.0.0.0/0'] }, '2001:db8::1', xff('198.51.100.7'))).toBe('2001:db8::1')
  })

  it('strips ports', () => {
    expect(resolve({ hops: 1 }, '10.0.0.2', xff('198.51.100.7:51234'))).toBe('198.51.100.7')
    expect(resolve({ hops: 1 }, '10.0.0.2', xff('[2001:db8::7]:8080'))).toBe('2001:db8::7')
    expect(resolve({ hops: 1 }, '10.0.0.2', xff('[2001:db8::7]'))).toBe('2001:db8::7')
  })

  it.each([
    'unknown',
    'garbage',
    '',
    ' ',
    '010.0.0.1',
    '1.2.3.256',
    '1.2.3',
    '1.2.3.4.5',
    '0x7f.0.0.1',
    'fe80::1%eth0',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    ':::',
    '::1:2:3:4:5:6:7:8',
    '[::1',
    '[::1]x',
    '[1.2.3.4]',
    '1.2.3.4:99999',
    '1.2.3.4:',
    '2001:db8::1:80:',
    'ffff1::',
  ])('stops at a malformed entry (%j): the last address read is the client', (bad) => {
    const options = { proxies: ['10.0.0.0/8'] }
    // The malformed entry is the proxy's own: the proxy's bucket, not a key of the client's choosing.
    expect(resolve(options, '10.0.0.1', xff(bad))).toBe('10.0.0.1')
    expect(resolve(options, '10.0.0.1', xff(`198.51.100.7, ${bad}`))).toBe('10.0.0.1')
    // Past a trusted entry: that entry is the client.
    expect(resolve(options, '10.0.0.1', xff(`198.51.100.7, ${bad}, 10.0.0.9`))).toBe('10.0.0.9')
    expect(resolve({ hops: 5 }, '10.0.0.1', xff(`198.51.100.7, ${bad}, 10.0.0.9`))).toBe('10.0.0.9')
  })

  it('reads several header lines as one list, in order, and only the header it is told to', () => {
    const lines = request(
      ['x-forwarded-for', '1.1.1.1, 198.51.100.1'],
      ['x-forwarded-for', '198.51.100.7'],
      ['forwarded', 'for=203.0.113.66'],
    )
    expect(resolve({ hops: 1 }, '10.0.0.2', lines)).toBe('198.51.100.7')
    expect(resolve({ hops: 2 }, '10.0.0.2', lines)).toBe('198.51.100.1')
    expect(resolve({ hops: 1, header: 'forwarded' }, '10.0.0.2', lines)).toBe('203.0.113.66')
    // The other header alone is not read.
    expect(resolve({ hops: 1 }, '10.0.0.2', request(['forwarded', 'for=203.0.113.66']))).toBe('10.0.0.2')
    expect(resolve({ hops: 1, header: 'forwarded' }, '10.0.0.2', xff('198.51.100.7'))).toBe('10.0.0.2')
  })

  describe('Forwarded (RFC 7239)', () => {
    const forwarded = (value: string): Request => request(['forwarded', value])
    const options: TrustedProxyOptions = {
      proxies: ['10.0.0.0/8', '2001:db8:cafe::/48'],
      header: 'forwarded',
    }

    it('reads the for= node of each element: quoted IPv6 with port, parameters in any order and case', () => {
      expect(
        resolve(
          options,
          '10.0.0.2',
          forwarded('for=192.0.2.60;proto=http;by=203.0.113.43, For="[2001:db8:cafe::17]:4711"'),
        ),
      ).toBe('192.0.2.60')
      expect(resolve(options, '10.0.0.2', forwarded('proto=https;for="198.51.100.7:1234"'))).toBe(
        '198.51.100.7',
      )
    })

    it('does not split on commas or semicolons inside quoted strings', () => {
      expect(
        resolve(options, '10.0.0.2', forwarded('for=198.51.100.7;host="a,b;c", for=10.0.0.9;host="x\\",y"')),
      ).toBe('198.51.100.7')
    })

    it.each([
      'for=unknown',
      'for=_hidden',
      'by=10.0.0.9',
      'for=10.0.0.9;for=10.0.0.8',
      'for="[2001:db8::1]x"',
      'for="10.0.0.9',
      'for=',
      '',
    ])('stops at an element without one readable for= address (%j)', (bad) => {
      expect(resolve(options, '10.0.0.2', forwarded(`for=198.51.100.7, ${bad}`))).toBe('10.0.0.2')
      // An unterminated quote runs to the end: everything after it is one unreadable element.
      const after = bad.split('"').length % 2 === 0 ? '10.0.0.2' : '10.0.0.9'
      expect(resolve(options, '10.0.0.2', forwarded(`for=198.51.100.7, ${bad}, for=10.0.0.9`))).toBe(after)
    })
  })

  it('no peer address: null (nothing to count by); a peer that is not an IP address: as it is, untrusted', () => {
    for (const peer of [null, undefined, ''])
      expect(resolve({ hops: 1 }, peer, xff('198.51.100.7'))).toBeNull()
    expect(resolve({ hops: 1 }, '/run/app.sock', xff('198.51.100.7'))).toBe('/run/app.sock')
  })

  it.each([
    [{ hops: -1 }, /hops/],
    [{ hops: 1.5 }, /hops/],
    [{ hops: Number.NaN }, /hops/],
    [{ proxies: ['nope'] }, /"nope": not an address/],
    [{ proxies: ['10.0.0.0/33'] }, /prefix length is a number from 0 to 32/],
    [{ proxies: ['fd00::/129'] }, /from 0 to 128/],
    [{ proxies: ['10.0.0.0/'] }, /prefix length/],
    [{ proxies: ['10.0.0.1/8'] }, /did you mean 10\.0\.0\.0\/8\?/],
    [{ proxies: ['fd00::1/8'] }, /did you mean fd00::\/8\?/],
    [{ proxies: ['::ffff:10.0.0.0/64'] }, /write it as IPv4/],
    [{ proxies: ['[::1]'] }, /not an address/],
    [{ proxies: '10.0.0.0/8' as unknown as string[] }, /a list/],
    [{ proxies: [42 as unknown as string] }, /not an address/],
    [{ header: 'x-real-ip' as 'forwarded' }, /header/],
  ])('refuses a bad setting when it is created: %j', (options, message) => {
    expect(() => createClientAddressResolver(options)).toThrow(
      expect.objectContaining({
        name: 'WorkfrontOAuthError',
        code: 'invalid_options',
        message: expect.stringMatching(message),
      }),
    )
  })

  it('formats any IPv6 address as the WHATWG URL parser does (RFC 5952), and reads it back', () => {
    const resolver = createClientAddressResolver({ hops: 1 })
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.integer({ min: 0, max: 7 }),
        (bytes, zeros) => {
          // Runs of zero groups, where the compression rules matter.
          bytes.fill(0, zeros * 2, Math.min(16, zeros * 2 + (zeros % 4) * 2))
          const mapped =
            bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff
          fc.pre(!mapped)
          const groups = Array.from({ length: 8 }, (_, i) =>
            ((bytes[i * 2]! << 8) | bytes[i * 2 + 1]!).toString(16),
          )
          const expected = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1)
          expect(resolver(xff(groups.join(':')), '10.0.0.2')).toBe(expected)
          expect(resolver(xff(`[${expected}]:443`), '10.0.0.2')).toBe(expected)
        },
      ),
    )
  })

  it('whatever the header says, an untrusted peer is the key, and a trusted one yields the last entry', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.ipV4(), (spoof, client) => {
        expect(resolve({ proxies: ['10.0.0.0/8'] }, '203.0.113.5', xff(spoof))).toBe('203.0.113.5')
        expect(resolve({ hops: 1 }, '10.0.0.2', xff(`${spoof}, ${client}`))).toBe(client)
      }),
    )
  })
})
