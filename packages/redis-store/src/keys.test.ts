import { isWorkfrontOAuthError } from '@workfront-oauth/core'
import { describe, expect, it } from 'vitest'
import { encodeKeyTag, redisKeys } from './keys.ts'

/** The part of a name that Redis Cluster hashes (cluster spec, "Hash tags"). */
function hashedPart(name: string): string {
  const open = name.indexOf('{')
  if (open < 0) return name
  const close = name.indexOf('}', open + 1)
  if (close < 0 || close === open + 1) return name
  return name.slice(open + 1, close)
}

const awkward = [
  '',
  '%',
  '%7B',
  '{',
  '}',
  '{}',
  '}{',
  'grant:{user}',
  'grant:}user{',
  'a{b}c{d}',
  'tx:%25:{x}',
  'é✓ {tag}',
  'grant:42',
  ':lock',
  'x}:lock',
]

describe('redisKeys', () => {
  it('puts the value, the lock and the channel of a key under one well-formed hash tag', () => {
    for (const key of awkward) {
      const { value, lock, channel } = redisKeys(key, { keyPrefix: 'app:' })
      const tag = encodeKeyTag(key)
      expect(tag).not.toBe('')
      expect(tag).not.toMatch(/[{}]/)
      expect(hashedPart(value)).toBe(tag)
      expect(hashedPart(lock)).toBe(tag)
      expect(hashedPart(channel)).toBe(tag)
      expect(value).toBe(`app:{${tag}}`)
    }
  })

  it('never maps two keys (or a key and another key’s lock) to the same name', () => {
    const names = awkward.flatMap((key) => Object.values(redisKeys(key)))
    expect(new Set(names).size).toBe(names.length)
  })

  it('uses the wfo: prefix by default and rejects a prefix that would break the tag', () => {
    expect(redisKeys('grant:1')).toEqual({
      value: 'wfo:{grant:1}',
      lock: 'wfo:{grant:1}:lock',
      channel: 'wfo:{grant:1}:unlock',
    })
    for (const keyPrefix of ['{app}:', 'a}', 'b{']) {
      let error: unknown
      try {
        redisKeys('k', { keyPrefix })
      } catch (e) {
        error = e
      }
      expect(isWorkfrontOAuthError(error, 'invalid_options')).toBe(true)
    }
  })
})
