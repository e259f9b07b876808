/**
 * The public key an admin uploads to a Machine to Machine app, as DER `SubjectPublicKeyInfo` for
 * `crypto.subtle.importKey('spki', …)`. Workfront's page has the admin upload the certificate that its own
 * command makes (`openssl req -x509 -sha256 -nodes -newkey rsa:2048 -keyout private.key -out
 * certificate_pub.crt`), so a PEM certificate is taken as well as a bare public key: the key is read out of
 * the certificate's DER (RFC 5280 §4.1) by the small DER reader below, which needs no dependency and runs
 * wherever Web Crypto does. Everything is checked when the mock is created, so a bad key fails there, with
 * a `TypeError`, and never as a 500 at the first exchange.
 * @see WORKFRONT.md "Machine to Machine: the JWT flow"
 */

const PEM = /^-----BEGIN (PUBLIC KEY|CERTIFICATE)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----\s*$/

const SEQUENCE = 0x30
const INTEGER = 0x02
const BIT_STRING = 0x03
const OID = 0x06
/** `[0] EXPLICIT Version` at the start of a v2/v3 `TBSCertificate`. */
const VERSION = 0xa0
/** rsaEncryption, 1.2.840.113549.1.1.1 (RFC 8017 Appendix C), DER-encoded. */
const RSA_ENCRYPTION = [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01]

/** One DER element: its tag, where it starts, where its contents start and where it ends. */
interface Element {
  tag: number
  start: number
  contents: number
  end: number
}

class DERError extends Error {}

function read(bytes: Uint8Array, offset: number, limit: number, tag: number): Element {
  if (offset + 2 > limit) throw new DERError('truncated')
  const found = bytes[offset] as number
  if (found !== tag) throw new DERError(`tag 0x${found.toString(16)} where 0x${tag.toString(16)} belongs`)
  let length = bytes[offset + 1] as number
  let contents = offset + 2
  if (length & 0x80) {
    // Long form; DER never uses the indefinite form (0x80), and nothing here is 4 GiB.
    const count = length & 0x7f
    if (count === 0 || count > 4 || contents + count > limit) throw new DERError('bad length')
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[contents + i] as number)
    contents += count
  }
  const end = contents + length
  if (end > limit) throw new DERError('truncated')
  return { tag: found, start: offset, contents, end }
}

/** The elements of a SEQUENCE's contents, in order (each must be one of the tags it is read as). */
function children(bytes: Uint8Array, parent: Element, tags: readonly number[]): Element[] {
  const found: Element[] = []
  let offset = parent.contents
  for (const tag of tags) {
    const element = read(bytes, offset, parent.end, tag)
    found.push(element)
    offset = element.end
  }
  return found
}

/** Checks `SubjectPublicKeyInfo` holds an RSA key (`RSAPublicKey ::= SEQUENCE { n, e }`), and returns it. */
function rsaSPKI(bytes: Uint8Array, spki: Element): Uint8Array<ArrayBuffer> {
  const [algorithm, key] = children(bytes, spki, [SEQUENCE, BIT_STRING]) as [Element, Element]
  if (key.end !== spki.end) throw new DERError('trailing data in the key')
  const oid = read(bytes, algorithm.contents, algorithm.end, OID)
  const id = bytes.subarray(oid.contents, oid.end)
  if (id.length !== RSA_ENCRYPTION.length || RSA_ENCRYPTION.some((byte, i) => id[i] !== byte)) {
    throw new DERError('not an RSA key (Workfront signs with RS256)')
  }
  // The BIT STRING's first byte counts unused bits: 0 for a DER structure inside it.
  if (bytes[key.contents] !== 0) throw new DERError('bad key bits')
  const rsa = read(bytes, key.contents + 1, key.end, SEQUENCE)
  const [, exponent] = children(bytes, rsa, [INTEGER, INTEGER]) as [Element, Element]
  if (exponent.end !== rsa.end || rsa.end !== key.end) throw new DERError('trailing data in the RSA key')
  return bytes.slice(spki.start, spki.end)
}

/** The `SubjectPublicKeyInfo` of an X.509 certificate: the 7th field of `TBSCertificate` (6th in v1). */
function certificateSPKI(bytes: Uint8Array, certificate: Element): Uint8Array<ArrayBuffer> {
  const tbs = read(bytes, certificate.contents, certificate.end, SEQUENCE)
  const versioned = bytes[tbs.contents] === VERSION
  // [version], serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const fields = children(bytes, tbs, [
    ...(versioned ? [VERSION] : []),
    INTEGER,
    SEQUENCE,
    SEQUENCE,
    SEQUENCE,
    SEQUENCE,
    SEQUENCE,
  ])
  return rsaSPKI(bytes, fields.at(-1) as Element)
}

/**
 * The DER `SubjectPublicKeyInfo` of a PEM public key (`BEGIN PUBLIC KEY`) or a PEM X.509 certificate
 * (`BEGIN CERTIFICATE`) holding an RSA key. Throws a `TypeError` saying what is wrong otherwise.
 */
export function publicKeyInfo(pem: string, clientId: string): Uint8Array<ArrayBuffer> {
  const match = PEM.exec(pem.trim())
  const kind = match?.[1]
  const fail = (why: string): TypeError =>
    new TypeError(
      `MockApp ${clientId}: a public key must be a PEM certificate (BEGIN CERTIFICATE) or an SPKI PEM ` +
        `(BEGIN PUBLIC KEY) of an RSA key: ${why}`,
    )
  if (!match) throw fail('no single PEM block of either kind')
  let bytes: Uint8Array
  try {
    bytes = Uint8Array.from(atob((match[2] as string).replace(/\s+/g, '')), (ch) => ch.charCodeAt(0))
  } catch {
    throw fail('the PEM body is not Base64')
  }
  try {
    const outer = read(bytes, 0, bytes.length, SEQUENCE)
    if (outer.end !== bytes.length) throw new DERError('trailing data')
    return kind === 'CERTIFICATE' ? certificateSPKI(bytes, outer) : rsaSPKI(bytes, outer)
  } catch (error) {
    if (error instanceof DERError)
      throw fail(`the ${kind?.toLowerCase()} is not valid DER (${error.message})`)
    throw error
  }
}
