import { DEMO_CUSTOMER_ID, defaultApps, defaultProjects, defaultUsers } from './seed'
import type { MockApp, MockProject, MockPublicKey, MockUser, WorkfrontMockOptions } from './types'
import { API_VERSION_SCHEDULE } from './versions'
import { publicKeyInfo } from './x509'

/** A registered key, with its DER `SubjectPublicKeyInfo` read once when the mock is created. */
export interface PublicKeyConfig extends MockPublicKey {
  spki: Uint8Array<ArrayBuffer>
}

export interface AppConfig {
  clientId: string
  name: string
  secrets: readonly string[]
  redirectUris: ReadonlySet<string>
  type: 'web' | 'spa' | 'm2m'
  publicKeys: readonly PublicKeyConfig[]
  rotation: boolean
  refreshTokenAbsoluteTtlMs: number | undefined
  refreshTokenIdleTtlMs: number | undefined
}

export interface Config {
  domain: string
  lane: string
  host: string
  apps: ReadonlyMap<string, AppConfig>
  usersByID: ReadonlyMap<string, MockUser>
  usersByUsername: ReadonlyMap<string, MockUser>
  projects: readonly MockProject[]
  users: readonly MockUser[]
  expiresIn: number
  tokenType: 'sessionID' | 'Bearer'
  customerId: string
  jwtMaxLifetimeMs: number
  refuseJWTReplays: boolean
  omitCallbackState: boolean
  /** Hosts answered besides loopback hosts: the tenant's and `acceptedHosts`. */
  hosts: ReadonlySet<string>
  sessionIdleMs: number
  codeTtlMs: number
  errorShape: 'workfront' | 'rfc6749'
  authenticationError: '401' | '200' | '200-data'
  omitUnchangedRefreshToken: boolean
  autoConsentUser: MockUser | undefined
  adminPath: string | undefined
  /** Explicit served versions; `null`: Workfront's schedule at the mock's clock. */
  apiVersions: ReadonlySet<string> | null
  /** Versions older than the oldest supported one are retired (410), not unknown (404). */
  oldestApiVersion: number
  maxConcurrentApiRequests: number | undefined
  showDemoCredentials: boolean
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
export const API_VERSION = /^v(\d+)\.(\d+)$/
const HOUR = 3_600_000

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a finite number >= 0`)
  return value
}

function optionalPositive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a finite number > 0`)
  return value
}

/** `value` when it is one of `allowed`, the first of them when absent; a `TypeError` otherwise. */
function oneOf<T extends string>(name: string, value: T | undefined, allowed: readonly [T, ...T[]]): T {
  if (value === undefined) return allowed[0]
  if (!allowed.includes(value)) throw new TypeError(`${name} must be ${allowed.join(' or ')}`)
  return value
}

function appConfig(app: MockApp): AppConfig {
  if (!app.clientId) throw new TypeError('MockApp.clientId must not be empty')
  const secrets = app.clientSecrets ?? []
  const publicKeys = app.publicKeys ?? []
  if (!['web', 'spa', 'm2m'].includes(app.type)) {
    throw new TypeError(`MockApp ${app.clientId}: type must be web, spa or m2m`)
  }
  if (app.type !== 'spa' && secrets.length === 0) {
    throw new TypeError(`MockApp ${app.clientId}: a ${app.type} app needs at least one client secret`)
  }
  if (app.type === 'spa' && secrets.length > 0) {
    throw new TypeError(`MockApp ${app.clientId}: a spa app is public and has no client secret`)
  }
  if ((app.type === 'm2m') !== publicKeys.length > 0) {
    throw new TypeError(`MockApp ${app.clientId}: public keys are for m2m apps, and an m2m app needs one`)
  }
  for (const key of publicKeys) {
    if (!key.userId)
      throw new TypeError(`MockApp ${app.clientId}: a public key needs the userId that made it`)
  }
  if (app.type !== 'm2m' && app.redirectUris.length === 0) {
    throw new TypeError(`MockApp ${app.clientId}: no redirect URI`)
  }
  for (const uri of app.redirectUris) {
    // RFC 6749 §3.1.2: absolute, and without a fragment.
    if (!URL.canParse(uri) || uri.includes('#')) {
      throw new TypeError(
        `MockApp ${app.clientId}: redirect URI ${uri} is not an absolute URL without fragment`,
      )
    }
  }
  return {
    clientId: app.clientId,
    name: app.name ?? app.clientId,
    secrets: [...secrets],
    redirectUris: new Set(app.redirectUris),
    type: app.type,
    publicKeys: publicKeys.map((key) => ({ ...key, spki: publicKeyInfo(key.pem, app.clientId) })),
    rotation: app.rotation ?? true,
    refreshTokenAbsoluteTtlMs: optionalPositive('refreshTokenAbsoluteTtlMs', app.refreshTokenAbsoluteTtlMs),
    refreshTokenIdleTtlMs: optionalPositive('refreshTokenIdleTtlMs', app.refreshTokenIdleTtlMs),
  }
}

export function versionNumber(version: string): number | undefined {
  const match = API_VERSION.exec(version)
  return match ? Number(match[1]) + Number(match[2]) / 1000 : undefined
}

export function resolveConfig(options: WorkfrontMockOptions = {}): Config {
  const domain = options.domain ?? 'acme'
  const lane = options.lane ?? 'my'
  if (!DNS_LABEL.test(domain)) throw new TypeError('domain must be a single lowercase DNS label')
  if (!DNS_LABEL.test(lane)) throw new TypeError('lane must be a single lowercase DNS label')

  const apps = new Map<string, AppConfig>()
  for (const app of options.apps ?? defaultApps()) {
    if (apps.has(app.clientId)) throw new TypeError(`MockApp ${app.clientId} is registered twice`)
    apps.set(app.clientId, appConfig(app))
  }

  // Copies: `updateUser` changes the mock's users, never the objects the caller passed.
  const users = (options.users ?? defaultUsers()).map((user) => ({ ...user }))
  const usersByID = new Map<string, MockUser>()
  const usersByUsername = new Map<string, MockUser>()
  for (const user of users) {
    if (usersByID.has(user.id) || usersByUsername.has(user.username)) {
      throw new TypeError(`MockUser ${user.username} is not unique`)
    }
    usersByID.set(user.id, user)
    usersByUsername.set(user.username, user)
  }

  let autoConsentUser: MockUser | undefined
  if (options.autoConsent) {
    autoConsentUser = usersByUsername.get(options.autoConsent.username)
    if (!autoConsentUser) throw new TypeError(`autoConsent: unknown user ${options.autoConsent.username}`)
  }

  const apiVersions = options.apiVersions ?? API_VERSION_SCHEDULE.map((entry) => entry.version)
  const numbers = apiVersions.map((version) => {
    const n = versionNumber(version)
    if (n === undefined) throw new TypeError(`apiVersions: ${version} is not like v21.0`)
    return n
  })
  if (numbers.length === 0) throw new TypeError('apiVersions must not be empty')

  const customerId = options.customerId ?? DEMO_CUSTOMER_ID
  if (!/^[A-Za-z0-9-]{1,64}$/.test(customerId))
    throw new TypeError('customerId must be 1-64 letters or digits')
  const family = oneOf('hostFamily', options.hostFamily, ['classic', 'unified-experience'])
  const host = `${domain}.${lane}.${family === 'classic' ? 'workfront.com' : 'workfront.adobe.com'}`
  const hosts = new Set([host])
  for (const accepted of options.acceptedHosts ?? []) {
    if (!/^[a-z0-9.-]+(?::\d{1,5})?$/.test(accepted)) {
      throw new TypeError(`acceptedHosts: ${accepted} is not a lowercase host[:port]`)
    }
    hosts.add(accepted)
  }
  const pkcePage = options.tokenResponseShape === 'pkce-page'
  if (options.tokenResponseShape !== undefined && !pkcePage && options.tokenResponseShape !== 'sessionID') {
    throw new TypeError('tokenResponseShape must be sessionID or pkce-page')
  }

  let adminPath: string | undefined
  if (options.admin?.enabled) {
    adminPath = options.admin.path ?? '/__mock'
    if (!/^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/.test(adminPath)) {
      throw new TypeError('admin.path must start with / and not end with /')
    }
  }

  let maxConcurrentApiRequests: number | undefined
  if (options.maxConcurrentApiRequests !== undefined) {
    maxConcurrentApiRequests = options.maxConcurrentApiRequests
    if (!Number.isInteger(maxConcurrentApiRequests) || maxConcurrentApiRequests < 1) {
      throw new RangeError('maxConcurrentApiRequests must be an integer >= 1')
    }
  }

  return {
    domain,
    lane,
    host,
    hosts,
    apps,
    users,
    usersByID,
    usersByUsername,
    projects: options.projects ?? defaultProjects(),
    expiresIn: nonNegative('expiresIn', options.expiresIn, pkcePage ? 3600 : 0),
    tokenType: pkcePage ? 'Bearer' : 'sessionID',
    customerId,
    jwtMaxLifetimeMs: optionalPositive('jwtMaxLifetimeMs', options.jwtMaxLifetimeMs) ?? HOUR,
    refuseJWTReplays: oneOf('jwtReplay', options.jwtReplay, ['refuse', 'accept']) === 'refuse',
    omitCallbackState: oneOf('callbackState', options.callbackState, ['echo', 'omit']) === 'omit',
    sessionIdleMs: nonNegative('sessionIdleMs', options.sessionIdleMs, 8 * HOUR),
    codeTtlMs: nonNegative('codeTtlMs', options.codeTtlMs, 120_000),
    errorShape: oneOf('errorShape', options.errorShape, ['workfront', 'rfc6749']),
    authenticationError: oneOf('authenticationError', options.authenticationError, [
      '401',
      '200',
      '200-data',
    ]),
    omitUnchangedRefreshToken: options.omitUnchangedRefreshToken ?? false,
    autoConsentUser,
    adminPath,
    apiVersions: options.apiVersions ? new Set(apiVersions) : null,
    oldestApiVersion: Math.min(...numbers),
    maxConcurrentApiRequests,
    showDemoCredentials: options.showDemoCredentials ?? false,
  }
}
