#!/usr/bin/env node
// @ts-check
/**
 * `pnpm secrets`: prints a fresh SESSION_SECRET and TOKEN_ENCRYPTION_KEY for the demo, as lines for a `.env`
 * file (or values for `wrangler secret put`). Plain Node, no build: the configuration errors name this
 * command, and it must work before anything is built.
 *
 * Rotation: put the new value first and keep the old one after a comma (`SESSION_SECRET=new,old`); drop the
 * old one once sessions and grants written with it have expired (7 and 90 days).
 */
import { randomBytes } from 'node:crypto'

const lines = [
  '# Fresh secrets for the edge demo: the same values on every instance; never commit them.',
  `SESSION_SECRET=${randomBytes(48).toString('base64url')}`,
  `TOKEN_ENCRYPTION_KEY=${randomBytes(32).toString('base64url')}`,
]
console.log(lines.join('\n'))
