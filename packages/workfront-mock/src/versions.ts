/**
 * Workfront's API version schedule as the mock serves it. The core keeps the same table
 * (`WORKFRONT_API_VERSIONS` of `@workfront-oauth/core/adapters`); a core test fails when the two differ.
 *
 * Each version is supported three years, then deprecated (still served) one more year, then removed.
 * Dates are from Workfront's public notes (WORKFRONT.md "API versions and limits"); a removal date is the
 * deprecation date plus one year, an inference. Versions without dates are current.
 */
export interface APIVersionEntry {
  /** The version, `vNN.N`. */
  version: string
  /** ISO date the version was released, when known. */
  released?: string
  /** ISO date from which the version is deprecated (served, not supported). */
  deprecated?: string
  /** ISO date from which the version is no longer served. */
  removed?: string
}

/** The API versions the mock serves and their dates, for its 410 answers to retired versions. */
export const API_VERSION_SCHEDULE: readonly APIVersionEntry[] = Object.freeze([
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

/** How the mock answers a version at `now`: served, removed (410), or unknown (404). */
export type VersionAnswer = 'served' | 'removed' | 'unknown'

export function scheduledAnswer(version: string, now: number, oldest: number): VersionAnswer {
  const entry = API_VERSION_SCHEDULE.find((candidate) => candidate.version === version)
  if (entry) {
    if (entry.released !== undefined && now < Date.parse(entry.released)) return 'unknown'
    if (entry.removed !== undefined && now >= Date.parse(entry.removed)) return 'removed'
    return 'served'
  }
  const n = /^v(\d+)\.(\d+)$/.exec(version)
  return n && Number(n[1]) + Number(n[2]) / 1000 < oldest ? 'removed' : 'unknown'
}

/**
 * Why the schedule refuses a removed version, for the 410's message: its removal date is an inference
 * (Workfront publishes deprecation dates, not removal dates), and so is the 410 itself.
 */
export function removalReason(version: string): string {
  const guess = "Workfront documents neither a removal date nor this answer: the Workfront mock's inference"
  const entry = API_VERSION_SCHEDULE.find((candidate) => candidate.version === version)
  if (!entry) {
    return `API version ${version} is older than ${API_VERSION_SCHEDULE[0]?.version}, the oldest in Workfront's notes. ${guess}`
  }
  return (
    `API version ${version} was deprecated on ${entry.deprecated}; the mock takes it as removed from ` +
    `${entry.removed}, one year later. ${guess}. Pass apiVersions to serve it.`
  )
}

/** The version the version-less Default API answers as: the newest one released at `now`. */
export function newestServed(now: number): string {
  const released = API_VERSION_SCHEDULE.filter(
    (entry) => entry.released === undefined || now >= Date.parse(entry.released),
  )
  return (released.at(-1) as APIVersionEntry).version
}
