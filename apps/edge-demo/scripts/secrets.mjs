#!/usr/bin/env node
// @ts-check
/**
 * `pnpm secrets`: prints a fresh SESSION_SECRET and TOKEN_ENCRYPTION_KEY for the demo, as lines for a `.env`
 * file (or values for `wrangler secret put`). Plain Node, no build: the configuration errors name this
 * command, and it must work before anything is built.
 *
 * `pnpm secrets --key-id KEY[,KEY…]`: prints the id of each encryption key, what stored records name and
 * what TOKEN_ENCRYPTION_RETIRED_KEY_IDS takes. The id is `encryptionKeyId()` of @workfront-oauth/core,
 * computed here again because this script runs without a build (config.test.ts checks the two agree).
 *
 * Rotation (docs/operations.md): put the new value second, then first, everywhere; drop the old one once
 * sessions and grants written with it have expired (7 and 90 days), or retire it by its id.
 */
import { createHash, randomBytes } from 'node:crypto'

/** @param {string} key 32 bytes, base64url */
function keyId(key) {
  const raw = Buffer.from(key, 'base64url')
  if (raw.length !== 32) throw new Error('an encryption key is 32 bytes in base64url (43 characters)')
  const digest = createHash('sha256').update('workfront-oauth key id\0').update(raw).digest('base64url')
  return `k${digest.slice(0, 11)}`
}

const [flag, value] = process.argv.slice(2)
if (flag === '--key-id') {
  try {
    console.log((value ?? '').split(',').map(keyId).join(','))
  } catch (error) {
    console.error(`secrets: ${/** @type {Error} */ (error).message}`)
    process.exit(2)
  }
} else {
  const key = randomBytes(32).toString('base64url')
  const lines = [
    '# Fresh secrets for the edge demo: the same values on every instance; never commit them.',
    `SESSION_SECRET=${randomBytes(48).toString('base64url')}`,
    `# The key's id, which stored records name: ${keyId(key)}`,
    `TOKEN_ENCRYPTION_KEY=${key}`,
  ]
  console.log(lines.join('\n'))
}
