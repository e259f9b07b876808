import { API_VERSION_SCHEDULE } from '@workfront-oauth/workfront-mock'
import { describe, expect, it } from 'vitest'
import {
  apiBasePath,
  apiVersionStatus,
  parseAPIVersion,
  UNVERSIONED_API,
  WORKFRONT_API_VERSIONS,
  warnAboutAPIVersion,
} from './api-versions.ts'
import type { Logger } from './ports.ts'

const at = (iso: string): number => Date.parse(`${iso}T00:00:00Z`)

function recordingLogger(): Logger & { messages: string[] } {
  const messages: string[] = []
  return { messages, warn: (message) => messages.push(message) }
}

describe('the API version schedule', () => {
  it('is the one the Workfront mock serves', () => {
    expect(WORKFRONT_API_VERSIONS).toEqual(API_VERSION_SCHEDULE)
  })

  it.each([
    ['v14.0', '2025-09-29', 'current'],
    ['v14.0', '2025-09-30', 'deprecated'],
    ['v14.0', '2026-09-30', 'removed'],
    ['v15.0', '2025-12-17', 'current'],
    ['v15.0', '2026-11-30', 'deprecated'],
    ['v15.0', '2026-12-18', 'removed'],
    ['v21.0', '2026-11-30', 'current'],
    ['v22.0', '2026-05-07', 'unreleased'],
    ['v22.0', '2026-05-08', 'current'],
    ['v12.0', '2020-01-01', 'removed'],
    ['v23.0', '2026-11-30', 'unknown'],
    ['v21.5', '2026-11-30', 'unknown'],
    [UNVERSIONED_API, '2026-11-30', 'default'],
  ])('%s on %s is %s', (version, day, status) => {
    expect(apiVersionStatus(version, at(day))).toBe(status)
  })

  it('takes vNN.N or the Default API, and builds the base path of each', () => {
    expect(parseAPIVersion('v21.0')).toBe('v21.0')
    expect(parseAPIVersion('default')).toBe('default')
    for (const bad of ['21.0', 'v21', 'latest', 'v21.0/../', 'v123.0', '']) {
      expect(() => parseAPIVersion(bad)).toThrow(expect.objectContaining({ code: 'invalid_options' }))
    }
    expect(apiBasePath('v21.0')).toBe('/attask/api/v21.0')
    expect(apiBasePath(UNVERSIONED_API)).toBe('/attask/api')
  })
})

describe('warnAboutAPIVersion', () => {
  it('warns once per logger and version about a deprecated, removed or unknown version', () => {
    const logger = recordingLogger()
    const now = at('2026-11-30')
    expect(warnAboutAPIVersion('v15.0', now, logger)).toBe('deprecated')
    expect(warnAboutAPIVersion('v15.0', now, logger)).toBe('deprecated')
    expect(logger.messages).toHaveLength(1)
    expect(logger.messages[0]).toMatch(/v15\.0 is deprecated/)
    warnAboutAPIVersion('v14.0', now, logger)
    warnAboutAPIVersion('v30.0', now, logger)
    expect(logger.messages).toHaveLength(3)
    expect(logger.messages[1]).toMatch(/v14\.0 has been removed/)
    expect(logger.messages[2]).toMatch(/not in this library's version table/)
    // Another logger hears it again.
    const other = recordingLogger()
    warnAboutAPIVersion('v15.0', now, other)
    expect(other.messages).toHaveLength(1)
  })

  it('says nothing about a current version or the Default API', () => {
    const logger = recordingLogger()
    warnAboutAPIVersion('v21.0', at('2026-11-30'), logger)
    warnAboutAPIVersion(UNVERSIONED_API, at('2026-11-30'), logger)
    expect(logger.messages).toEqual([])
  })
})
