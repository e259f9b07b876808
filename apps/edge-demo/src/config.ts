/**
 * The demo's configuration: one environment contract for the Worker (wrangler `vars` and secrets) and the
 * Node entry (`process.env`), parsed and checked by one function.
 *
 * Every error names the variable at fault and never echoes a value that may be secret (client secret,
 * session secret, encryption key, a Redis URL with its password).
 */

import { isWorkfrontOAuthError } from '@workfront-oauth/core'
import type { TrustedProxyOptions } from '@workfront-oauth/core/adapters'
import {
  createClientAddressResolver,
  isLoopbackHost,
  parseBaseURL,
  WORKFRONT_HOST_PATTERNS,
} from '@workfront-oauth/core/adapters'

/** The variables of the contract, e.g. `process.env` or a Worker's `env` (non-string bindings are ignored). */
export type DemoEnv = Readonly<Record<string, unknown>>

/** Where the demo gets its Workfront from. */
export type WorkfrontSource =
  /** The Workfront mock, in-process and served under the demo's own origin. */
  | { mode: 'mock' }
  /** One org, e.g. `https://acme.my.workfront.com`. */
  | { mode: 'fixed'; baseUrl: string }
  /** The user names their org on the home page; it must match one of these host patterns. */
  | { mode: 'multiTenant'; allowedHosts: readonly string[] }

export interface DemoConfig {
  /** Node entry: interface to listen on (`HOST`, default `127.0.0.1`). */
  host: string
  /** Node entry: port to listen on (`PORT`, default 8787). */
  port: number
  /**
   * Node entry: the proxies in front of it (`TRUST_PROXY`), whose `X-Forwarded-For` tells the client's
   * address for the per-client sign-in limit. Default: none, the socket's peer is the client.
   */
  trustProxy: TrustedProxyOptions
  /** The demo's public origin (`PUBLIC_URL`), without a trailing slash. */
  publicUrl: string
  /** `PUBLIC_URL/auth/callback`: what the Workfront OAuth2 app must have registered. */
  redirectUri: string
  workfront: WorkfrontSource
  clientId: string
  /** Absent: a public client (Workfront's single-page-app type), with PKCE. */
  clientSecret: string | undefined
  clientAuth: 'post' | 'basic'
  /** Absent: the core's default. */
  apiVersion: string | undefined
  /** Absent: sessions live in this process's memory (Node) or in Durable Objects (Workers). */
  redisUrl: string | undefined
  /**
   * `SESSION_STORE`, where grants and logins live: `redis` (implied by `REDIS_URL`), `durable-object` (the
   * default on Workers), `memory` (the default on Node; on Workers only when chosen, for one isolate).
   * Absent: the entry's default.
   */
  sessionStore: SessionStore | undefined
  /** `SESSION_SECRET`, a comma-separated list: the first signs cookies, all of them verify (rotation). */
  sessionSecrets: string[]
  /** `TOKEN_ENCRYPTION_KEY`, a comma-separated list of 32-byte base64url keys: the first encrypts, all decrypt. */
  tokenEncryptionKeys: string[]
  /**
   * `TOKEN_ENCRYPTION_RETIRED_KEY_IDS`, the ids of keys taken out of use: their records mean "signed out".
   * Records of any other key the instance does not have are kept (a rollout in progress). `'*'` when the key
   * is the random one of this process: every other key is then a previous process's, gone for good.
   */
  tokenEncryptionRetiredKeyIds: readonly string[] | '*'
  /**
   * `WORKFRONT_MOCK=on`: the mock was asked for by name (the only way to serve it on a public address), and
   * every page says so in a banner.
   */
  mockBanner: boolean
  /** Things that work but that an operator should know (random secrets, ignored variables). */
  warnings: string[]
}

export type SessionStore = 'memory' | 'durable-object' | 'redis'

/** A variable is missing or malformed. `variable` names it; the message never contains its value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError' as const
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`)
  }
}

export const MOCK_CLIENT_ID = 'demo-client'
export const MOCK_CLIENT_SECRET = 'demo-secret'
export const DEFAULT_PORT = 8787
export const MIN_SESSION_SECRET_LENGTH = 32
/** What makes good secrets: the command the errors name (see `scripts/secrets.mjs`). */
export const SECRETS_COMMAND = 'pnpm secrets'

export interface ParseConfigOptions {
  /** Random bytes for the secrets generated when none is configured. Default `crypto.getRandomValues`. */
  randomBytes?: (length: number) => Uint8Array
}

/** Reads and checks the environment contract (see the README's table). Throws `ConfigError`. */
export function parseConfig(env: DemoEnv, options: ParseConfigOptions = {}): DemoConfig {
  const randomBytes = options.randomBytes ?? ((n: number) => crypto.getRandomValues(new Uint8Array(n)))
  const warnings: string[] = []
  // Unset and empty are the same thing: `FOO=` in a .env file or a compose file means "not set".
  const read = (name: string): string | undefined => {
    const value = env[name]
    if (typeof value !== 'string') return undefined
    const trimmed = value.trim()
    return trimmed === '' ? undefined : trimmed
  }
  // Secrets are not trimmed: spaces may be part of them.
  const readSecret = (name: string): string | undefined => {
    const value = env[name]
    return typeof value === 'string' && value !== '' ? value : undefined
  }

  const host = read('HOST') ?? '127.0.0.1'
  if (!/^[A-Za-z0-9.:[\]-]{1,253}$/.test(host)) {
    throw new ConfigError('HOST', 'must be an IP address or a host name, e.g. 127.0.0.1 or 0.0.0.0')
  }
  const port = parsePort(read('PORT'))
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'))
  const publicUrl = parsePublicURL(read('PUBLIC_URL') ?? `http://127.0.0.1:${port}`)

  const baseUrl = read('WORKFRONT_BASE_URL')
  const multiTenant = read('WORKFRONT_MULTI_TENANT')
  if (baseUrl && multiTenant) {
    throw new ConfigError(
      'WORKFRONT_MULTI_TENANT',
      'set either WORKFRONT_BASE_URL (one org) or WORKFRONT_MULTI_TENANT (users name their org), not both',
    )
  }
  const mockSwitch = read('WORKFRONT_MOCK')
  if (mockSwitch !== undefined && mockSwitch !== 'on' && mockSwitch !== 'off') {
    throw new ConfigError('WORKFRONT_MOCK', 'must be "on" or "off"')
  }
  if (mockSwitch === 'on' && (baseUrl || multiTenant)) {
    throw new ConfigError(
      'WORKFRONT_MOCK',
      `is "on" but ${baseUrl ? 'WORKFRONT_BASE_URL' : 'WORKFRONT_MULTI_TENANT'} is set: unset one of them`,
    )
  }
  let workfront: WorkfrontSource
  if (baseUrl) workfront = { mode: 'fixed', baseUrl: parseWorkfrontURL(baseUrl) }
  else if (multiTenant) workfront = { mode: 'multiTenant', allowedHosts: parseAllowedHosts(multiTenant) }
  else workfront = { mode: 'mock' }
  const mock = workfront.mode === 'mock'
  // The mock lets anyone sign in as its demo user: never on a public address unless asked for by name.
  // @see issue #12, finding 3
  if (mock && mockSwitch !== 'on' && (mockSwitch === 'off' || !isLoopbackHost(new URL(publicUrl).hostname))) {
    throw new ConfigError(
      'WORKFRONT_BASE_URL',
      mockSwitch === 'off'
        ? 'is required with WORKFRONT_MOCK=off (or set WORKFRONT_MULTI_TENANT)'
        : 'or WORKFRONT_MULTI_TENANT is required when PUBLIC_URL is not a loopback address: without them the ' +
            'demo would serve its built-in Workfront mock, where anyone can sign in. Set WORKFRONT_MOCK=on to ' +
            'serve the mock on purpose (every page then says so)',
    )
  }
  // A Workfront on a loopback address is a local mock too: the secret checks are for a real one.
  const realWorkfront =
    workfront.mode === 'multiTenant' ||
    (workfront.mode === 'fixed' && !isLoopbackHost(new URL(workfront.baseUrl).hostname))

  const configuredClientId = read('WORKFRONT_CLIENT_ID')
  let clientSecret = readSecret('WORKFRONT_CLIENT_SECRET')
  let clientId: string
  if (configuredClientId) {
    if (!/^[\x21-\x7e]{1,256}$/.test(configuredClientId)) {
      throw new ConfigError('WORKFRONT_CLIENT_ID', 'must be 1–256 visible ASCII characters, without spaces')
    }
    clientId = configuredClientId
    if (mock) {
      warnings.push(
        'WORKFRONT_CLIENT_ID is set but WORKFRONT_BASE_URL is not: using the built-in Workfront mock, ' +
          'which registers this client for the demo',
      )
    }
  } else if (mock) {
    clientId = MOCK_CLIENT_ID
    clientSecret ??= MOCK_CLIENT_SECRET
  } else {
    throw new ConfigError(
      'WORKFRONT_CLIENT_ID',
      'is required with a real Workfront (the OAuth2 app’s client ID)',
    )
  }

  const clientAuthValue = read('WORKFRONT_CLIENT_AUTH') ?? 'post'
  if (clientAuthValue !== 'post' && clientAuthValue !== 'basic') {
    throw new ConfigError('WORKFRONT_CLIENT_AUTH', 'must be "post" (the default) or "basic"')
  }
  if (clientAuthValue === 'basic' && clientSecret === undefined) {
    throw new ConfigError(
      'WORKFRONT_CLIENT_AUTH',
      '"basic" needs WORKFRONT_CLIENT_SECRET (a public client has none)',
    )
  }

  const apiVersion = read('WORKFRONT_API_VERSION')
  if (apiVersion !== undefined && apiVersion !== 'default' && !/^v\d{1,2}\.\d$/.test(apiVersion)) {
    throw new ConfigError('WORKFRONT_API_VERSION', "must look like v21.0, or be 'default'")
  }

  const redisUrl = read('REDIS_URL')
  if (redisUrl !== undefined) checkRedisURL(redisUrl)
  const sessionStore = parseSessionStore(read('SESSION_STORE'), redisUrl)
  const shared =
    redisUrl !== undefined ? ' Other instances on the same REDIS_URL cannot use its sessions.' : ''
  if (redisUrl !== undefined && mock) {
    // Sessions are shared through Redis, but each mock knows only the tokens it issued itself.
    warnings.push(
      'REDIS_URL with the built-in Workfront mock: each instance (each Worker isolate) has a mock of its ' +
        'own that knows only the tokens it issued, so users are signed out whenever a request reaches ' +
        'another instance. For several instances, share one mock: `pnpm demo:multi`, or WORKFRONT_BASE_URL ' +
        'pointing at `npx workfront-mock`.',
    )
  }

  let sessionSecrets = readSecret('SESSION_SECRET')?.split(',')
  if (sessionSecrets === undefined) {
    if (!mock) {
      throw new ConfigError(
        'SESSION_SECRET',
        `is required with a real Workfront: at least ${MIN_SESSION_SECRET_LENGTH} random characters (${SECRETS_COMMAND} makes one)`,
      )
    }
    sessionSecrets = [base64url(randomBytes(32))]
    warnings.push(
      `SESSION_SECRET is not set: using a random one for this process; sessions end when it restarts.${shared}`,
    )
  } else {
    for (const [i, secret] of sessionSecrets.entries()) {
      if (secret.length < MIN_SESSION_SECRET_LENGTH) {
        throw new ConfigError(
          'SESSION_SECRET',
          `${ordinal(i, sessionSecrets.length)}must be at least ${MIN_SESSION_SECRET_LENGTH} characters (it has ${secret.length})`,
        )
      }
      const weak = weakText(secret)
      if (weak !== null) refuseWeak('SESSION_SECRET', ordinal(i, sessionSecrets.length), weak)
    }
  }

  let tokenEncryptionKeys = readSecret('TOKEN_ENCRYPTION_KEY')?.split(',')
  const retiredKeyIds = read('TOKEN_ENCRYPTION_RETIRED_KEY_IDS')
    ?.split(',')
    .map((id) => id.trim())
  if (retiredKeyIds?.some((id) => !/^[A-Za-z0-9_-]{1,32}$/.test(id))) {
    throw new ConfigError(
      'TOKEN_ENCRYPTION_RETIRED_KEY_IDS',
      `must be a comma-separated list of key ids such as kAbCdEfGhIjK (\`${SECRETS_COMMAND} --key-id <old key>\` prints one)`,
    )
  }
  const randomKey = tokenEncryptionKeys === undefined
  if (tokenEncryptionKeys === undefined) {
    tokenEncryptionKeys = [base64url(randomBytes(32))]
    warnings.push(
      `TOKEN_ENCRYPTION_KEY is not set: using a random key for this process; stored tokens become unreadable when it restarts.${shared}`,
    )
  } else {
    for (const [i, key] of tokenEncryptionKeys.entries()) {
      const bytes = decodeEncryptionKey(key)
      if (bytes === null) {
        throw new ConfigError(
          'TOKEN_ENCRYPTION_KEY',
          `${ordinal(i, tokenEncryptionKeys.length)}must be 32 random bytes in base64url (43 characters), e.g. from \`${SECRETS_COMMAND}\``,
        )
      }
      const weak = weakBytes(bytes)
      if (weak !== null) refuseWeak('TOKEN_ENCRYPTION_KEY', ordinal(i, tokenEncryptionKeys.length), weak)
    }
    if (new Set(tokenEncryptionKeys).size !== tokenEncryptionKeys.length) {
      throw new ConfigError('TOKEN_ENCRYPTION_KEY', 'lists the same key twice')
    }
  }

  /** With a real Workfront a weak secret is refused; with the mock it is only worth a warning. */
  function refuseWeak(variable: string, which: string, why: string): void {
    const advice = `make a good one with \`${SECRETS_COMMAND}\``
    if (realWorkfront) throw new ConfigError(variable, `${which}is weak (${why}): ${advice}`)
    warnings.push(
      `${variable}: ${which}is weak (${why}); fine for the mock, refused with a real Workfront: ${advice}`,
    )
  }

  return {
    host,
    port,
    trustProxy,
    publicUrl,
    redirectUri: `${publicUrl}/auth/callback`,
    workfront,
    clientId,
    clientSecret,
    clientAuth: clientAuthValue,
    apiVersion,
    redisUrl,
    sessionStore,
    sessionSecrets,
    tokenEncryptionKeys,
    tokenEncryptionRetiredKeyIds: randomKey ? '*' : (retiredKeyIds ?? []),
    mockBanner: mock && mockSwitch === 'on',
    warnings,
  }
}

function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PORT
  const port = Number(value)
  if (!/^\d{1,5}$/.test(value) || port < 1 || port > 65_535) {
    throw new ConfigError('PORT', `must be an integer between 1 and 65535, got ${JSON.stringify(value)}`)
  }
  return port
}

/**
 * `TRUST_PROXY`: how many proxies stand in front of the Node entry (`1`), or their addresses and CIDR ranges
 * (`10.0.0.0/8,fd00::/8`). Checked by building the resolver, so that a bad value stops the start.
 */
function parseTrustProxy(value: string | undefined): TrustedProxyOptions {
  if (value === undefined) return {}
  const usage =
    'must be the number of proxies in front of the app (e.g. 1) or their comma-separated addresses and CIDR ranges (e.g. 10.0.0.0/8,fd00::/8)'
  const proxies = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
  if (proxies.length === 0) throw new ConfigError('TRUST_PROXY', usage)
  const options: TrustedProxyOptions = /^\d+$/.test(value) ? { hops: Number(value) } : { proxies }
  try {
    createClientAddressResolver(options)
  } catch (error) {
    if (!isWorkfrontOAuthError(error)) throw error
    throw new ConfigError('TRUST_PROXY', `${usage}; ${error.message}`)
  }
  return options
}

function parsePublicURL(value: string): string {
  try {
    return parseBaseURL(value, 'PUBLIC_URL')
  } catch (error) {
    if (!isWorkfrontOAuthError(error)) throw error
    throw new ConfigError(
      'PUBLIC_URL',
      'must be an origin such as https://demo.example.com, without a path or query (http: only for 127.0.0.1, localhost or [::1])',
    )
  }
}

function parseWorkfrontURL(value: string): string {
  try {
    return parseBaseURL(value, 'WORKFRONT_BASE_URL')
  } catch (error) {
    if (!isWorkfrontOAuthError(error)) throw error
    throw new ConfigError(
      'WORKFRONT_BASE_URL',
      'must be the org’s origin, e.g. https://acme.my.workfront.com (http: only for loopback hosts)',
    )
  }
}

const HOST_PATTERN = /^(?:\*\.)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/

function parseAllowedHosts(value: string): readonly string[] {
  if (/^(?:true|1|yes)$/i.test(value)) return WORKFRONT_HOST_PATTERNS
  const patterns = value
    .split(',')
    .map((pattern) => pattern.trim().toLowerCase())
    .filter((pattern) => pattern !== '')
  const bad = patterns.find((pattern) => !HOST_PATTERN.test(pattern))
  if (patterns.length === 0 || bad !== undefined) {
    throw new ConfigError(
      'WORKFRONT_MULTI_TENANT',
      `must be "true" (Workfront's public hosts) or comma-separated host patterns such as *.my.workfront.com${
        bad === undefined ? '' : `; ${JSON.stringify(bad)} is not one`
      }`,
    )
  }
  return patterns
}

function parseSessionStore(
  value: string | undefined,
  redisUrl: string | undefined,
): SessionStore | undefined {
  if (value === undefined) return redisUrl === undefined ? undefined : 'redis'
  if (value !== 'memory' && value !== 'durable-object' && value !== 'redis') {
    throw new ConfigError('SESSION_STORE', 'must be "durable-object", "redis" or "memory"')
  }
  if ((value === 'redis') !== (redisUrl !== undefined)) {
    throw new ConfigError(
      'SESSION_STORE',
      value === 'redis' ? '"redis" needs REDIS_URL' : `is "${value}" but REDIS_URL is set: unset one of them`,
    )
  }
  return value
}

function checkRedisURL(value: string): void {
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    // The value is not repeated: a Redis URL often carries a password.
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379')
  }
}

/** The 32 bytes of a base64url key, or null when it is not one. */
function decodeEncryptionKey(value: string): Uint8Array | null {
  const text = value.replace(/=$/, '')
  // 43 base64url characters hold 258 bits: the last character carries 2 zero padding bits.
  if (!/^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/.test(text)) return null
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return binary.length === 32 ? Uint8Array.from(binary, (c) => c.charCodeAt(0)) : null
}

/** Values people type instead of making a secret. */
const PLACEHOLDER =
  /change.?me|replace.?me|placeholder|example|your.?(?:secret|key)|secret|password|dummy|default|x{6}/i

/** Why a typed secret is guessable, or null. Random ones (`pnpm secrets`) never trip these. */
export function weakText(secret: string): string | null {
  if (PLACEHOLDER.test(secret)) return 'it looks like a placeholder'
  const codes = Array.from(secret, (c) => c.codePointAt(0) as number)
  return weakSequence(codes, 8)
}

/** Why a key's bytes are guessable (all zero, one byte repeated, a counter…), or null. */
export function weakBytes(bytes: Uint8Array): string | null {
  return weakSequence([...bytes], 16)
}

/**
 * Too few distinct values (a random 32-byte key has about 30, a random 43-character secret about 28), or
 * mostly a run with one step (`aaaa…`, `0123…`, `i * 7 + 1`).
 */
function weakSequence(values: readonly number[], minDistinct: number): string | null {
  const distinct = new Set(values).size
  if (distinct === 1) return 'one character repeated'
  if (distinct < minDistinct) return `only ${distinct} different characters`
  const steps = new Map<number, number>()
  for (let i = 1; i < values.length; i++) {
    const step = (values[i] as number) - (values[i - 1] as number)
    steps.set(step, (steps.get(step) ?? 0) + 1)
  }
  if (Math.max(...steps.values()) * 2 > values.length - 1) return 'a regular sequence'
  return null
}

/** "the 2nd " in a list of several, nothing for a single value. */
function ordinal(index: number, count: number): string {
  if (count === 1) return ''
  const n = index + 1
  const suffix = n === 1 ? 'st' : n === 2 ? 'nd' : n === 3 ? 'rd' : 'th'
  return `the ${n}${suffix} value `
}

export function base64url(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** What the demo talks to, for logs and the page: never a secret. */
export function describeWorkfront(config: DemoConfig): string {
  switch (config.workfront.mode) {
    case 'mock':
      return 'the built-in Workfront mock (no account, no network)'
    case 'fixed':
      return `${config.workfront.baseUrl} (one org)`
    case 'multiTenant':
      return `any org matching ${config.workfront.allowedHosts.join(', ')}`
  }
}
