import type { Context, Hono } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { type Config, versionNumber } from './config'
import type { Engine } from './engine'
import { connectionReset, sleep } from './io'
import { newestServed, removalReason, scheduledAnswer, type VersionAnswer } from './versions'

/**
 * The slice of `/attask/api/<version>/` an integration touches first: `session`, `logout`, and read-only
 * `proj` / `user` search, count and get. Success is `{data}`; failure is `{error: {class, message}}`.
 * Only the 401 class and message are Workfront's documented ones; the other classes are the mock's
 * best guess in Workfront's naming.
 * @see WORKFRONT.md "The flow, step by step" §7
 */

export const API_PREFIX = '/attask/api'

const NOT_LOGGED_IN = {
  class: 'com.attask.common.AuthenticationException',
  message: 'You are not currently logged in',
} as const
const NOT_FOUND = 'com.attask.common.NotFoundException'
const INVALID_PARAMETER = 'com.attask.common.InvalidParameterException'
const API_MODEL = 'com.attask.api.APIModelException'

/** URIs through Workfront's CDN are limited to this many bytes. */
export const MAX_URI_BYTES = 8_892

/** Workfront caps a page at 2000 results. */
export const MAX_LIMIT = 2000
const DEFAULT_LIMIT = 100

type Row = Record<string, string | number>

interface ObjectType {
  objCode: string
  label: string
  fields: readonly string[]
  rows(): Row[]
}

class APIError extends Error {
  override readonly name = 'APIError'
  constructor(
    readonly status: ContentfulStatusCode,
    readonly className: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** `data`: the error inside `{data: {error}}`, one of the shapes of a failure answered with 200. */
    readonly envelope: 'error' | 'data' = 'error',
  ) {
    super(message)
  }
}

/** A missing or dead session: 401 as documented, or HTTP 200 with the same error (`authenticationError`). */
function notLoggedIn(config: Config): APIError {
  const { class: className, message } = NOT_LOGGED_IN
  if (config.authenticationError === '401') return new APIError(401, className, message)
  return new APIError(200, className, message, {}, config.authenticationError === '200' ? 'error' : 'data')
}

function objectTypes(config: Config): Map<string, ObjectType> {
  return new Map<string, ObjectType>([
    [
      'proj',
      {
        objCode: 'PROJ',
        label: 'Project',
        fields: ['ID', 'name', 'objCode', 'status', 'plannedCompletionDate', 'ownerID', 'percentComplete'],
        rows: () => config.projects.map((project) => ({ ...project, objCode: 'PROJ' })),
      },
    ],
    [
      'user',
      {
        objCode: 'USER',
        label: 'User',
        fields: ['ID', 'name', 'objCode', 'username', 'emailAddr'],
        rows: () =>
          config.users.map((user) => ({
            ID: user.id,
            name: user.name,
            objCode: 'USER',
            username: user.username,
            emailAddr: user.email,
          })),
      },
    ],
  ])
}

function unknownField(version: string, type: ObjectType, field: string): APIError {
  return new APIError(422, API_MODEL, `APIModel ${version} does not support field ${field} (${type.label})`)
}

/** `ID`, `name` and `objCode` always, then the requested fields; `*` means all. */
function projection(version: string, type: ObjectType, fieldsParam: string | null): string[] {
  const fields = ['ID', 'name', 'objCode']
  if (fieldsParam === null) return fields
  for (const raw of fieldsParam.split(',')) {
    const field = raw.trim()
    if (field === '') continue
    if (field === '*') return [...type.fields]
    if (!type.fields.includes(field)) throw unknownField(version, type, field)
    if (!fields.includes(field)) fields.push(field)
  }
  return fields
}

function project(row: Row, fields: readonly string[]): Row {
  return Object.fromEntries(fields.map((field) => [field, row[field]!]))
}

function integerParam(
  query: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = query.get(name)
  if (raw === null) return fallback
  const value = Number(raw)
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new APIError(422, INVALID_PARAMETER, `${name} must be an integer between ${min} and ${max}`)
  }
  return value
}

interface Query {
  filters: Array<[field: string, values: string[]]>
  sorts: Array<[field: string, direction: 1 | -1]>
  fields: string[]
  first: number
  limit: number
}

/** Equality filters (`status=CUR`), `<field>_Sort=asc|desc`, `fields`, `$$FIRST` and `$$LIMIT`. */
function parseQuery(version: string, type: ObjectType, query: URLSearchParams): Query {
  const filters: Query['filters'] = []
  const sorts: Query['sorts'] = []
  for (const name of new Set(query.keys())) {
    if (name === 'sessionID' || name === 'fields' || name === '$$FIRST' || name === '$$LIMIT') continue
    if (name.startsWith('$$')) {
      throw new APIError(422, INVALID_PARAMETER, `${name} is not supported by the Workfront mock`)
    }
    if (name.endsWith('_Sort')) {
      const field = name.slice(0, -'_Sort'.length)
      if (!type.fields.includes(field)) throw unknownField(version, type, field)
      const direction = query.get(name)?.toLowerCase()
      if (direction !== 'asc' && direction !== 'desc') {
        throw new APIError(422, INVALID_PARAMETER, `${name} must be asc or desc`)
      }
      sorts.push([field, direction === 'asc' ? 1 : -1])
      continue
    }
    if (name.endsWith('_Mod')) {
      if (query.get(name)?.toLowerCase() !== 'eq') {
        throw new APIError(422, INVALID_PARAMETER, `${name}: the Workfront mock supports only eq filters`)
      }
      continue
    }
    if (!type.fields.includes(name)) throw unknownField(version, type, name)
    filters.push([name, query.getAll(name)])
  }
  return {
    filters,
    sorts,
    fields: projection(version, type, query.get('fields')),
    first: integerParam(query, '$$FIRST', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: integerParam(query, '$$LIMIT', DEFAULT_LIMIT, 1, MAX_LIMIT),
  }
}

function select(type: ObjectType, query: Query): Row[] {
  const rows = type
    .rows()
    .filter((row) => query.filters.every(([field, values]) => values.includes(String(row[field]))))
  if (query.sorts.length > 0) {
    rows.sort((a, b) => {
      for (const [field, direction] of query.sorts) {
        const left = a[field]!
        const right = b[field]!
        if (left < right) return -direction
        if (left > right) return direction
      }
      return 0
    })
  }
  return rows
}

export function registerAPI(app: Hono, config: Config, engine: Engine): void {
  const types = objectTypes(config)

  const errorResponse = (c: Context, error: APIError): Response => {
    const body = { error: { class: error.className, message: error.message } }
    return c.json(error.envelope === 'data' ? { data: body } : body, error.status, error.headers)
  }

  /** How a version is answered: served, removed (410) or unknown (404). */
  function answer(version: string): VersionAnswer {
    if (config.apiVersions === null) return scheduledAnswer(version, engine.now(), config.oldestApiVersion)
    if (config.apiVersions.has(version)) return 'served'
    const n = versionNumber(version)
    return n !== undefined && n < config.oldestApiVersion ? 'removed' : 'unknown'
  }

  function route(c: Context, rest: string[]): Response {
    // `/attask/api/<path>` without `vNN.N` is the Default API: the newest version.
    const versioned = /^v\d+\.\d+$/.test(rest[0] ?? '')
    const [version = '', ...segments] = versioned ? rest : [newestServed(engine.now()), ...rest]
    const verdict = answer(version)
    if (verdict === 'removed') {
      // Workfront documents neither when a deprecated version goes nor how it then answers: the date, this
      // 410 and its class are inferences, and the message says so.
      throw new APIError(
        410,
        'com.attask.common.UnsupportedVersionException',
        config.apiVersions === null
          ? removalReason(version)
          : `API version ${version} is older than every version this mock serves (its apiVersions option)`,
      )
    }
    if (verdict === 'unknown') throw new APIError(404, NOT_FOUND, `API version ${version} does not exist`)

    // Workfront reads the session from the sessionID header, or the sessionID query parameter.
    const query = new URL(c.req.url).searchParams
    const sessionID = c.req.header('sessionID') ?? query.get('sessionID') ?? ''
    const session = sessionID === '' ? undefined : engine.touchSession(sessionID)
    if (!session) throw notLoggedIn(config)

    const method = c.req.method
    const [head = '', second, ...extra] = segments
    const path = segments.join('/')

    if (path === 'session') {
      if (method !== 'GET') throw methodNotAllowed('GET')
      const user = config.usersByID.get(session.userID)
      return c.json({ data: { userID: session.userID, username: user?.username ?? null } })
    }
    if (path === 'logout') {
      if (method !== 'GET' && method !== 'POST' && method !== 'PUT') throw methodNotAllowed('GET, POST, PUT')
      engine.endSession(sessionID)
      return c.json({ data: { success: true } })
    }

    const type = types.get(head.toLowerCase())
    if (!type || second === undefined || second === '' || extra.length > 0) {
      throw new APIError(404, NOT_FOUND, `No API resource at /${path}`)
    }
    if (method !== 'GET') throw methodNotAllowed('GET')

    if (second === 'search' || second === 'count') {
      const parsed = parseQuery(version, type, query)
      const rows = select(type, parsed)
      if (second === 'count') return c.json({ data: { count: rows.length } })
      const page = rows.slice(parsed.first, parsed.first + parsed.limit)
      return c.json({ data: page.map((row) => project(row, parsed.fields)) })
    }

    const row = type.rows().find((candidate) => candidate.ID === second)
    if (!row) throw new APIError(404, NOT_FOUND, `${type.label} with ID ${second} does not exist`)
    return c.json({ data: project(row, projection(version, type, query.get('fields'))) })
  }

  app.all(`${API_PREFIX}/*`, async (c) => {
    let response: Response
    if (!engine.enterApi()) {
      response = errorResponse(c, tooManyRequests('Too many concurrent requests', 1))
    } else {
      try {
        await sleep(engine.latency().api)
        const injected = engine.takeFailure('api', ['status500', 'status429', 'reset'])
        if (injected?.kind === 'reset') throw connectionReset()
        if (injected?.kind === 'status500')
          throw new APIError(500, 'com.attask.common.InternalException', 'Injected failure')
        if (injected?.kind === 'status429') throw tooManyRequests('Injected failure', injected.retryAfter)
        // Workfront's CDN refuses longer URIs (the status is the standard one; the body is the mock's).
        if (c.req.url.length > MAX_URI_BYTES) {
          throw new APIError(414, 'URITooLong', `The URI is longer than ${MAX_URI_BYTES} bytes`)
        }
        const path = c.req.path
        response = route(c, path.slice(path.indexOf(API_PREFIX) + API_PREFIX.length + 1).split('/'))
      } catch (error) {
        if (!(error instanceof APIError)) throw error
        response = errorResponse(c, error)
      } finally {
        engine.leaveApi()
      }
    }
    engine.countApiCall(response.status)
    return response
  })
}

function tooManyRequests(message: string, retryAfter: number): APIError {
  return new APIError(429, 'com.attask.common.TooManyRequestsException', message, {
    'Retry-After': String(retryAfter),
  })
}

function methodNotAllowed(allow: string): APIError {
  return new APIError(405, 'com.attask.common.UnsupportedOperationException', 'Method not allowed', {
    Allow: allow,
  })
}
