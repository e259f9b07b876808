import { defaultApps, defaultProjects, defaultUsers } from './seed'
import type { MockApp, MockProject, MockUser, WorkfrontMockOptions } from './types'

export interface AppConfig {
  clientId: string
  name: string
  secrets: readonly string[]
  redirectUris: ReadonlySet<string>
  type: 'web' | 'spa'
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
  sessionIdleMs: number
  codeTtlMs: number
  errorShape: 'workfront' | 'rfc6749'
  autoConsentUser: MockUser | undefined
  adminPath: string | undefined
  apiVersions: ReadonlySet<string>
  /** Versions older than the oldest supported one are retired (410), not unknown (404). */
  oldestApiVersion: number
  maxConcurrentApiRequests: number | undefined
  showDemoCredentials: boolean
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/
export const API_VERSION = /^v(\d+)\.(\d+)$/
const HOUR = 3_600_000

export const DEFAULT_API_VERSIONS: readonly string[] = Object.freeze(
  Array.from({ length: 8 }, (_, i) => `v${15 + i}.0`),
)

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

function appConfig(app: MockApp): AppConfig {
  if (!app.clientId) throw new TypeError('MockApp.clientId must not be empty')
  const secrets = app.clientSecrets ?? []
  if (app.type === 'web' && secrets.length === 0) {
    throw new TypeError(`MockApp ${app.clientId}: a web app needs at least one client secret`)
  }
  if (app.type === 'spa' && secrets.length > 0) {
    throw new TypeError(`MockApp ${app.clientId}: a spa app is public and has no client secret`)
  }
  if (app.redirectUris.length === 0) throw new TypeError(`MockApp ${app.clientId}: no redirect URI`)
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

  const users = options.users ?? defaultUsers()
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

  const apiVersions = options.apiVersions ?? DEFAULT_API_VERSIONS
  const numbers = apiVersions.map((version) => {
    const n = versionNumber(version)
    if (n === undefined) throw new TypeError(`apiVersions: ${version} is not like v21.0`)
    return n
  })
  if (numbers.length === 0) throw new TypeError('apiVersions must not be empty')

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
    host: `${domain}.${lane}.workfront.com`,
    apps,
    users,
    usersByID,
    usersByUsername,
    projects: options.projects ?? defaultProjects(),
    expiresIn: nonNegative('expiresIn', options.expiresIn, 0),
    sessionIdleMs: nonNegative('sessionIdleMs', options.sessionIdleMs, 8 * HOUR),
    codeTtlMs: nonNegative('codeTtlMs', options.codeTtlMs, 120_000),
    errorShape: options.errorShape ?? 'workfront',
    autoConsentUser,
    adminPath,
    apiVersions: new Set(apiVersions),
    oldestApiVersion: Math.min(...numbers),
    maxConcurrentApiRequests,
    showDemoCredentials: options.showDemoCredentials ?? false,
  }
}
