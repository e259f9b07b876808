/**
 * Workfront's API version schedule, in one place: which version is current, deprecated (still served, no
 * longer supported) or removed at a given time, and the version-less Default API.
 *
 * Each version is supported three years after its release, then deprecated one more year, then removed.
 * Dates are from Workfront's public notes; a removal date is the deprecation date plus that one year (an
 * inference: Workfront announces removals, and this table is updated when it does). The Workfront mock
 * serves the same schedule (a test compares the two tables).
 * @see WORKFRONT.md "API versions and limits"
 */
import { WorkfrontOAuthError } from './errors.ts'
import type { Logger } from './ports.ts'

/** One Workfront API version and its dates (ISO `YYYY-MM-DD`): released, deprecated, removed. */
export interface APIVersionEntry {
  /** The version, `vNN.N`. */
  version: string
  /** ISO date the version was released, when known. */
  released?: string
  /** ISO date from which the version is deprecated: still served, no longer supported. */
  deprecated?: string
  /** ISO date from which the version is no longer served. */
  removed?: string
}

/** Workfront's API versions with their release, deprecation and removal dates, as published by Workfront. */
export const WORKFRONT_API_VERSIONS: readonly APIVersionEntry[] = Object.freeze([
  { version: 'v13.0', deprecated: '2025-09-30', removed: '2026-09-30' },
  { version: 'v14.0', deprecated: '2025-09-30', removed: '2026-09-30' },
  { version: 'v15.0', deprecated: '2025-12-18', removed: '2026-12-18' },
  { version: 'v16.0' },
  { version: 'v17.0' },
  { version: 'v18.0' },
  { version: 'v19.0' },
  { version: 'v20.0' },
  { version: 'v21.0' },
  { version: 'v22.0', released: '2026-05-08' },
])

/**
 * The API version `'default'`: Workfront's version-less Default API (`/attask/api/<path>`), routed to its
 * newest version, so what it returns can change with each release. Prefer a fixed version. (Not to be
 * confused with `DEFAULT_API_VERSION`, the fixed version used when none is given.)
 */
export const UNVERSIONED_API = 'default'

/** `vNN.N`, or {@link UNVERSIONED_API}. */
export type APIVersion = string

/** Where a version stands on a date: see `apiVersionStatus()`. `default` is the version-less Default API. */
export type APIVersionStatus = 'current' | 'deprecated' | 'removed' | 'unreleased' | 'unknown' | 'default'

/** The status of `version` at `now` (epoch ms) per {@link WORKFRONT_API_VERSIONS}. */
export function apiVersionStatus(version: APIVersion, now: number): APIVersionStatus {
  if (version === UNVERSIONED_API) return 'default'
  const entry = WORKFRONT_API_VERSIONS.find((candidate) => candidate.version === version)
  if (!entry) {
    const oldest = WORKFRONT_API_VERSIONS[0] as APIVersionEntry
    return versionNumber(version) < versionNumber(oldest.version) ? 'removed' : 'unknown'
  }
  if (entry.released !== undefined && now < Date.parse(entry.released)) return 'unreleased'
  if (entry.removed !== undefined && now >= Date.parse(entry.removed)) return 'removed'
  if (entry.deprecated !== undefined && now >= Date.parse(entry.deprecated)) return 'deprecated'
  return 'current'
}

function versionNumber(version: string): number {
  const match = /^v(\d+)\.(\d+)$/.exec(version) as RegExpExecArray
  return Number(match[1]) + Number(match[2]) / 1000
}

/** Validates the `apiVersion` option: `vNN.N` or `'default'`. */
export function parseAPIVersion(version: string): APIVersion {
  if (version !== UNVERSIONED_API && !/^v\d{1,2}\.\d$/.test(version)) {
    throw new WorkfrontOAuthError('invalid_options', "apiVersion must look like v21.0, or be 'default'")
  }
  return version
}

/** `/attask/api/v21.0`, or `/attask/api` for the Default API. */
export function apiBasePath(version: APIVersion): string {
  return version === UNVERSIONED_API ? '/attask/api' : `/attask/api/${version}`
}

const warned = new WeakMap<Logger, Set<string>>()

/**
 * Warns through `logger`, once per logger and version, when `version` is deprecated, removed or not in the
 * table. Returns the status.
 */
export function warnAboutAPIVersion(version: APIVersion, now: number, logger: Logger): APIVersionStatus {
  const status = apiVersionStatus(version, now)
  const message = {
    deprecated: `Workfront API ${version} is deprecated: still served, no longer supported, and removed a year after deprecation. Move to a current version.`,
    removed: `Workfront API ${version} has been removed by Workfront's schedule: requests will fail. Move to a current version.`,
    unknown: `Workfront API ${version} is not in this library's version table: check it exists.`,
    unreleased: `Workfront API ${version} is not released yet by this library's version table.`,
  }[status as 'deprecated' | 'removed' | 'unknown' | 'unreleased']
  if (message === undefined) return status
  const seen = warned.get(logger) ?? new Set<string>()
  warned.set(logger, seen)
  if (!seen.has(version)) {
    seen.add(version)
    const entry = WORKFRONT_API_VERSIONS.find((candidate) => candidate.version === version)
    logger.warn(message, { apiVersion: version, status, ...entry })
  }
  return status
}
