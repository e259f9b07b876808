/**
 * A small typed client for the Workfront API on behalf of one grant: `fetch` plus `search`, `get` and
 * `count` helpers that build Workfront's query conventions and unwrap its `{ data }` / `{ error }` envelope.
 */

import { sessionOf, unwrap, type WorkfrontSession } from './api-answers.ts'
import type { WorkfrontOAuth } from './client.ts'
import { WorkfrontOAuthError } from './errors.ts'

export type { WorkfrontSession } from './api-answers.ts'

/** Workfront's page size limit for `$$LIMIT`. */
export const MAX_PAGE_SIZE = 2000

/** A value of an equality filter in `SearchOptions.filters`. */
export type FilterValue = string | number | boolean

/** What `WorkfrontClient.search()` asks for: fields, equality filters, paging and sort. */
export interface SearchOptions<F extends string = string> {
  /** Fields to return besides the defaults (`ID`, `name`, `objCode`). */
  fields?: readonly F[]
  /** Equality filters, e.g. `{ status: 'CUR' }`; keys may carry Workfront modifiers (`name_Mod: 'contains'`). */
  filters?: Readonly<Record<string, FilterValue>>
  /** `$$FIRST`: the index of the first result. */
  first?: number
  /** `$$LIMIT`: at most 2000. */
  limit?: number
  /** Sort field; Workfront needs a sort for stable paging. Default `ID`. */
  sort?: string
  /** Sort order. Default `asc`. */
  sortDirection?: 'asc' | 'desc'
}

/** A Workfront object as the API returns it: `ID`, usually `objCode` and `name`, and the fields asked for. */
export interface WorkfrontObject {
  /** The object's Workfront ID. */
  ID: string
  /** Its object code (`PROJ`, `TASK`…). */
  objCode?: string
  /** Its name, for objects that have one. */
  name?: string
  /** The other fields asked for. */
  [field: string]: unknown
}

/**
 * The Workfront API on behalf of one grant (see `createWorkfrontClient()`); every call refreshes the session
 * when Workfront rejects it, and throws `WorkfrontOAuthError` (`api_error`, `rate_limited`, …) on failure.
 */
export interface WorkfrontClient {
  /** The grant every call is made for. */
  readonly grantId: string
  /** `/attask/api/<version>/<path>` with the grant's session; refreshes and retries once on expiry. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** `GET session`: who is signed in; also a cheap check that the session is valid. */
  session(): Promise<WorkfrontSession>
  /** `GET <objCode>/search`: the objects matching `options`, one page (see `first` and `limit`). */
  search<T extends WorkfrontObject = WorkfrontObject>(objCode: string, options?: SearchOptions): Promise<T[]>
  /** `GET <objCode>/<id>`: one object, with the fields asked for. */
  get<T extends WorkfrontObject = WorkfrontObject>(
    objCode: string,
    id: string,
    options?: { fields?: readonly string[] },
  ): Promise<T>
  /** `GET <objCode>/count`: how many objects match the filters. */
  count(objCode: string, options?: { filters?: SearchOptions['filters'] }): Promise<number>
}

const OBJ_CODE = /^[A-Za-z][A-Za-z0-9_]{0,31}$/
const FIELD = /^[A-Za-z$][A-Za-z0-9_:.$*]{0,127}$/

/**
 * The client of one grant. `oauth` is what calls the API for a grant: `createWorkfrontOAuth(…)` for a
 * user's grant; a server job uses `createWorkfrontServerAuth(…).client` (`@workfront-oauth/core/server`).
 */
export function createWorkfrontClient(
  oauth: Pick<WorkfrontOAuth, 'fetch'>,
  grantId: string,
): WorkfrontClient {
  const call = async <T>(path: string): Promise<T> => unwrap<T>(await oauth.fetch(grantId, path))

  return {
    grantId,
    fetch: (path, init) => oauth.fetch(grantId, path, init),
    async session() {
      return sessionOf(await call<Partial<WorkfrontSession> | undefined>('session'))
    },
    search(objCode, options = {}) {
      return call(`${checkObjCode(objCode)}/search?${searchQuery(options)}`)
    },
    get(objCode, id, options = {}) {
      if (!/^[A-Za-z0-9]{1,64}$/.test(id))
        throw new WorkfrontOAuthError('invalid_path', 'Workfront object ids are alphanumeric')
      const query = new URLSearchParams()
      if (options.fields?.length) query.set('fields', fieldList(options.fields))
      const suffix = query.size ? `?${query}` : ''
      return call(`${checkObjCode(objCode)}/${id}${suffix}`)
    },
    async count(objCode, options = {}) {
      const query = new URLSearchParams()
      for (const [k, v] of Object.entries(options.filters ?? {})) query.set(checkField(k), String(v))
      const data = await call<{ count: number }>(
        `${checkObjCode(objCode)}/count${query.size ? `?${query}` : ''}`,
      )
      return data.count
    },
  }
}

/** The query string of a search: fields, filters, paging and sort. */
export function searchQuery(options: SearchOptions): string {
  const query = new URLSearchParams()
  if (options.fields?.length) query.set('fields', fieldList(options.fields))
  for (const [key, value] of Object.entries(options.filters ?? {})) query.set(checkField(key), String(value))
  const first = options.first ?? 0
  const limit = options.limit ?? 100
  if (!Number.isInteger(first) || first < 0)
    throw new WorkfrontOAuthError('invalid_path', '$$FIRST must be a whole number ≥ 0')
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new WorkfrontOAuthError('invalid_path', `$$LIMIT must be between 1 and ${MAX_PAGE_SIZE}`)
  }
  query.set('$$FIRST', String(first))
  query.set('$$LIMIT', String(limit))
  query.set(`${checkField(options.sort ?? 'ID')}_Sort`, options.sortDirection ?? 'asc')
  return query.toString()
}

function fieldList(fields: readonly string[]): string {
  return fields.map(checkField).join(',')
}

function checkField(field: string): string {
  if (!FIELD.test(field))
    throw new WorkfrontOAuthError('invalid_path', 'Field names are letters, digits and Workfront modifiers')
  return field
}

function checkObjCode(objCode: string): string {
  if (!OBJ_CODE.test(objCode))
    throw new WorkfrontOAuthError('invalid_path', 'Object codes are letters and digits (proj, user…)')
  return objCode.toLowerCase()
}
