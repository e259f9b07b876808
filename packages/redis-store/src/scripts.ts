/**
 * The Lua scripts behind the atomic operations, run with EVALSHA and loaded with EVAL on `NOSCRIPT` (a
 * restarted server, a new cluster node or a `SCRIPT FLUSH` empties the cache). Each script touches a single
 * key, passed in KEYS so that a cluster routes it to the node that owns the slot.
 * @see https://redis.io/docs/latest/develop/interact/programmability/eval-intro/
 */

export interface LuaScript {
  readonly name: string
  readonly source: string
}

/**
 * Compare-and-set of a versioned record, a hash `{ v: version, d: data }`.
 * KEYS[1] record; ARGV[1] expected version ('' = must be absent), ARGV[2] data, ARGV[3] TTL in ms ('' = none),
 * ARGV[4] the changes channel, ARGV[5] the logical key, announced on it after a write (under `pcall`, as in
 * `releaseLockScript`). Returns `{1, newVersion}` or `{0, currentVersion, currentData}` (`{0}` when absent).
 */
export const compareAndSetScript: LuaScript = {
  name: 'compareAndSet',
  source: `
local current = redis.call('HMGET', KEYS[1], 'v', 'd')
local version = tonumber(current[1])
if version ~= tonumber(ARGV[1]) then
  if version and current[2] then return {0, current[1], current[2]} end
  return {0}
end
local nextVersion = (version or 0) + 1
redis.call('HSET', KEYS[1], 'v', nextVersion, 'd', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('PERSIST', KEYS[1])
end
redis.pcall('PUBLISH', ARGV[4], ARGV[5])
return {1, nextVersion}
`,
}

/** KEYS[1] lock; ARGV[1] owner, ARGV[2] lease in ms. 1 when the owner still held the lock. */
export const extendLockScript: LuaScript = {
  name: 'extendLock',
  source: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`,
}

/**
 * KEYS[1] lock; ARGV[1] owner, ARGV[2] channel. Compare-and-delete, then announce the release. PUBLISH runs
 * under `pcall`: a server that forbids pub/sub must not make the release fail (waiters then poll).
 */
export const releaseLockScript: LuaScript = {
  name: 'releaseLock',
  source: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.pcall('PUBLISH', ARGV[2], '1')
  return 1
end
return 0
`,
}

/** KEYS[1] value; ARGV[1] the changes channel, ARGV[2] the logical key. DEL, then announce it. */
export const deleteScript: LuaScript = {
  name: 'delete',
  source: `
redis.call('DEL', KEYS[1])
redis.pcall('PUBLISH', ARGV[1], ARGV[2])
return 1
`,
}

/** GET + DEL for servers without GETDEL (Redis < 6.2). KEYS[1] value. */
export const takeScript: LuaScript = {
  name: 'take',
  source: `
local value = redis.call('GET', KEYS[1])
if value then redis.call('DEL', KEYS[1]) end
return value
`,
}

const shas = new Map<string, Promise<string>>()

/** The SHA-1 EVALSHA wants, with Web Crypto so that the module runs on workerd as well as Node. */
export function scriptSHA(script: LuaScript): Promise<string> {
  let sha = shas.get(script.source)
  if (!sha) {
    sha = crypto.subtle
      .digest('SHA-1', new TextEncoder().encode(script.source))
      .then((digest) =>
        Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join(''),
      )
    shas.set(script.source, sha)
  }
  return sha
}

export function isNoScriptError(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT')
}
