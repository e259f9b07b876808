/**
 * The client's address behind reverse proxies, for the per-client sign-in limit (`loginClientKey`). Pure and
 * runtime-neutral: the runtime gives the socket's peer address, the request gives the forwarding header.
 *
 * A forwarding header is a list that every proxy appends the address it saw to, so only its right-hand end
 * (what the proxies of the app wrote) can be believed; whatever lies left of it may be the client's own
 * invention. The chain is therefore walked from the peer leftwards, past the proxies the operator trusts, and
 * the first address that is not one of them is the client (Express's `trust proxy`, jshttp/proxy-addr).
 *
 * @see RFC 7239 (`Forwarded`)
 */

import { WorkfrontOAuthError } from './errors.ts'
import type { WebRequest } from './web/request.ts'

/** Which proxies in front of the app to believe. Empty (the default): none, the peer is the client. */
export interface TrustedProxyOptions {
  /**
   * How many proxies stand in front of the app, counted from it: `1` trusts the peer (one nginx, one load
   * balancer), `2` the peer and the address it forwarded (a CDN then a load balancer)… Only right when the
   * app cannot be reached but through them. Default 0.
   */
  hops?: number
  /**
   * Addresses and CIDR ranges of trusted proxies, IPv4 or IPv6 (`10.0.0.0/8`, `fd00::/8`, `203.0.113.7`).
   * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) count as their IPv4 address. An address is trusted when
   * it is among the first `hops` or matches one of these.
   */
  proxies?: readonly string[]
  /**
   * The header the proxies write: `x-forwarded-for` (the default; nginx, AWS ALB, Fly, Render…) or
   * `forwarded` (RFC 7239, its `for=` parameters). Only this one is read; the other is ignored.
   */
  header?: 'x-forwarded-for' | 'forwarded'
}

/**
 * The client's address of a request whose socket came from `peerAddress`: the nearest address of the
 * forwarding chain that is not a trusted proxy, normalized (`::ffff:192.0.2.1` → `192.0.2.1`, IPv6 in its
 * RFC 5952 form). `null` when the peer address is unknown.
 */
export type ClientAddressResolver = (
  request: Pick<WebRequest, 'headers'>,
  peerAddress: string | null | undefined,
) => string | null

/** An IP address as bytes: 4 for IPv4 (IPv4-mapped IPv6 included), 16 for IPv6. */
type Address = Uint8Array

interface Range {
  bytes: Address
  prefix: number
}

/**
 * Finds the client's address from the peer address and the forwarding header, trusting only the proxies
 * named. From the peer leftwards along the header: trusted addresses are skipped, the first one that is not
 * trusted is the client. The header is never read when the peer is not trusted; an entry that is not an
 * address (`unknown`, an obfuscated name, garbage, an empty entry) ends the walk, and the last address read
 * is the client: a header can never move a request out of the bucket of whoever sent it to the app.
 *
 * Throws `invalid_options` for a setting that is not one (a negative or fractional `hops`, an entry of
 * `proxies` that is not an address or a CIDR range, bits set past a range's prefix, an unknown `header`).
 *
 * @example
 * ```ts
 * // The proxies of the app's private network; `peerAddressOf` is the runtime's socket address of a request.
 * const clientAddress = createClientAddressResolver({ proxies: ['10.0.0.0/8', 'fd00::/8'] })
 * const loginClientKey = (request: Request) => clientAddress(request, peerAddressOf(request))
 * ```
 */
export function createClientAddressResolver(options: TrustedProxyOptions = {}): ClientAddressResolver {
  const hops = options.hops ?? 0
  if (!Number.isSafeInteger(hops) || hops < 0) {
    throw new WorkfrontOAuthError(
      'invalid_options',
      'hops is the number of trusted proxies: a whole number ≥ 0',
    )
  }
  const header = options.header ?? 'x-forwarded-for'
  if (header !== 'x-forwarded-for' && header !== 'forwarded') {
    throw new WorkfrontOAuthError('invalid_options', 'header is "x-forwarded-for" or "forwarded"')
  }
  if (options.proxies !== undefined && !Array.isArray(options.proxies)) {
    throw new WorkfrontOAuthError('invalid_options', 'proxies is a list of addresses and CIDR ranges')
  }
  const ranges = (options.proxies ?? []).map(parseRange)
  const trusted = (address: Address, position: number): boolean =>
    position < hops || ranges.some((range) => inRange(address, range))

  return (request, peerAddress) => {
    if (peerAddress === null || peerAddress === undefined || peerAddress === '') return null
    let client = parseNode(peerAddress)
    // A peer that is not an IP address (a Unix socket's path…) is trusted by nothing: it is the key as is.
    if (client === null) return peerAddress
    if (!trusted(client, 0)) return formatAddress(client)
    const value = request.headers.get(header)
    if (value === null) return formatAddress(client)
    const chain = header === 'forwarded' ? forwardedFor(value) : value.split(',')
    for (let i = chain.length - 1, position = 1; i >= 0; i--, position++) {
      const entry = chain[i]
      const next = entry === null || entry === undefined ? null : parseNode(entry)
      // Not an address: nothing left of it can be told apart from what the client wrote.
      if (next === null) break
      client = next
      if (!trusted(client, position)) break
    }
    return formatAddress(client)
  }
}

function parseRange(text: unknown): Range {
  const invalid = (why: string): never => {
    throw new WorkfrontOAuthError('invalid_options', `Trusted proxy ${JSON.stringify(text)}: ${why}`)
  }
  if (typeof text !== 'string') return invalid('not an address or a CIDR range (e.g. 10.0.0.0/8, fd00::/8)')
  const slash = text.indexOf('/')
  const addressText = (slash < 0 ? text : text.slice(0, slash)).trim()
  const raw = addressText.includes(':') ? parseIPv6(addressText) : parseIPv4(addressText)
  if (raw === null) return invalid('not an address or a CIDR range (e.g. 10.0.0.0/8, fd00::/8)')
  const bits = raw.length * 8
  let prefix = bits
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1).trim()
    prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : -1
    if (prefix < 0 || prefix > bits) return invalid(`the prefix length is a number from 0 to ${bits}`)
  }
  let bytes = raw
  if (isIPv4Mapped(raw)) {
    // Mapped addresses are compared as IPv4, so a mapped range is turned into its IPv4 range.
    if (prefix < 96) return invalid('an IPv4-mapped range needs a prefix of at least 96; write it as IPv4')
    bytes = raw.slice(12)
    prefix -= 96
  }
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) {
      return invalid(
        `bits are set past the /${prefix} prefix (did you mean ${formatAddress(mask(bytes, prefix))}/${prefix}?)`,
      )
    }
  }
  return { bytes, prefix }
}

function mask(bytes: Address, prefix: number): Address {
  const out = bytes.slice()
  for (let bit = prefix; bit < out.length * 8; bit++)
    out[bit >> 3] = (out[bit >> 3] as number) & ~(1 << (7 - (bit & 7)))
  return out
}

function inRange(address: Address, range: Range): boolean {
  if (address.length !== range.bytes.length) return false
  const whole = range.prefix >> 3
  for (let i = 0; i < whole; i++) if (address[i] !== range.bytes[i]) return false
  const rest = range.prefix & 7
  if (rest === 0) return true
  const bitMask = (0xff << (8 - rest)) & 0xff
  return ((address[whole] as number) & bitMask) === (range.bytes[whole] as number)
}

/**
 * The `for=` node of each element of a `Forwarded` value, or null for an element without a usable one.
 * Commas and semicolons inside quoted strings do not split (RFC 7239 §4, RFC 9110 §5.6.4).
 */
function forwardedFor(value: string): Array<string | null> {
  const elements: Array<string | null> = []
  let pairs: string[] = []
  let current = ''
  let quoted = false
  const endPair = (): void => {
    pairs.push(current)
    current = ''
  }
  const endElement = (): void => {
    endPair()
    const found = pairs
      .map((pair) => pair.trim())
      .filter((pair) => pair.slice(0, 4).toLowerCase() === 'for=')
      .map((pair) => pair.slice(4))
    elements.push(found.length === 1 ? unquote(found[0] as string) : null)
    pairs = []
  }
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string
    if (quoted) {
      current += char
      if (char === '\\' && i + 1 < value.length) current += value[++i]
      else if (char === '"') quoted = false
    } else if (char === '"') {
      current += char
      quoted = true
    } else if (char === ',') endElement()
    else if (char === ';') endPair()
    else current += char
  }
  endElement()
  return elements
}

function unquote(value: string): string | null {
  if (!value.startsWith('"')) return value
  if (value.length < 2 || !value.endsWith('"')) return null
  return value.slice(1, -1).replace(/\\(.)/g, '$1')
}

/** `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:8080`; else null. */
function parseNode(entry: string): Address | null {
  const text = entry.trim()
  let address: Address | null
  if (text.startsWith('[')) {
    const close = text.indexOf(']')
    if (close < 0) return null
    const rest = text.slice(close + 1)
    if (rest !== '' && !isPort(rest)) return null
    address = parseIPv6(text.slice(1, close))
  } else {
    const colons = text.split(':').length - 1
    if (colons === 1) {
      const [host, port] = text.split(':') as [string, string]
      address = isPort(`:${port}`) ? parseIPv4(host) : null
    } else address = colons === 0 ? parseIPv4(text) : parseIPv6(text)
  }
  if (address === null) return null
  return isIPv4Mapped(address) ? address.slice(12) : address
}

function isPort(text: string): boolean {
  return /^:\d{1,5}$/.test(text) && Number(text.slice(1)) <= 65_535
}

/** Four decimal parts, 0–255, without leading zeros (`010` is octal to some parsers: refused). */
function parseIPv4(text: string): Address | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  const bytes = new Uint8Array(4)
  for (const [i, part] of parts.entries()) {
    if (!/^(?:0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return null
    bytes[i] = Number(part)
  }
  return bytes
}

/** RFC 4291 §2.2 text forms: hex groups, at most one `::`, an optional trailing IPv4. No zone index. */
function parseIPv6(text: string): Address | null {
  if (text.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(text)) return null
  const halves = text.split('::')
  if (halves.length > 2) return null
  const groups = (half: string, last: boolean): number[] | null => {
    if (half === '') return []
    const words: number[] = []
    const parts = half.split(':')
    for (const [i, part] of parts.entries()) {
      if (last && i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIPv4(part)
        if (v4 === null) return null
        words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number))
      } else if (/^[0-9A-Fa-f]{1,4}$/.test(part)) words.push(Number.parseInt(part, 16))
      else return null
    }
    return words
  }
  const head = groups(halves[0] as string, halves.length === 1)
  const tail = halves.length === 2 ? groups(halves[1] as string, true) : []
  if (head === null || tail === null) return null
  const count = head.length + tail.length
  if (halves.length === 1 ? count !== 8 : count > 7) return null
  const words = [...head, ...new Array<number>(8 - count).fill(0), ...tail]
  const bytes = new Uint8Array(16)
  for (const [i, word] of words.entries()) {
    bytes[i * 2] = word >> 8
    bytes[i * 2 + 1] = word & 0xff
  }
  return bytes
}

function isIPv4Mapped(bytes: Address): boolean {
  return (
    bytes.length === 16 &&
    bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff
  )
}

/** Dotted IPv4, or IPv6 as RFC 5952 §4 writes it: lower case, no leading zeros, the longest zero run as `::`. */
function formatAddress(bytes: Address): string {
  if (bytes.length === 4) return bytes.join('.')
  const words = Array.from(
    { length: 8 },
    (_, i) => ((bytes[i * 2] as number) << 8) | (bytes[i * 2 + 1] as number),
  )
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLength) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((word) => word.toString(16))
      .join(':')
  if (bestStart < 0) return hex(0, 8)
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`
}

/**
 * The key an address counts under for the per-client sign-in limit: an IPv4 address as it is; an IPv6 address
 * by its network prefix (`/64` by default, what one subscriber or host is given), so that rotating addresses
 * inside one's own prefix does not escape the limit. Anything that is not an IP address is its own key.
 */
export function clientKeyOf(address: string, ipv6Prefix = 64): string {
  const bytes = parseNode(address)
  if (bytes === null) return address
  // Keys are only compared, never shown: the bytes as they are, without RFC 5952's formatting (which would
  // bring `formatAddress` into every app, for a string nobody reads).
  if (bytes.length === 4) return bytes.join('.')
  return `${mask(bytes, ipv6Prefix).join(':')}/${ipv6Prefix}`
}
