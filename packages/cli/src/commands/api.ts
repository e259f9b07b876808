import { readFile } from 'node:fs/promises'
import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { MAX_PAGE_SIZE } from '@workfront-oauth/core/adapters'
import type { Context } from '../context.ts'
import { CLIError } from '../errors.ts'
import { printJSON } from '../output.ts'

export interface APIFlags {
  method?: string | undefined
  field?: string[] | undefined
  input?: string | undefined
  paginate?: boolean | undefined
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE'])

/**
 * Calls `/attask/api/<version>/<path>` with the profile's session (refreshed and retried once when Workfront
 * rejects it). The body goes to stdout: indented JSON on a terminal, exactly as received when piped.
 */
export async function api(ctx: Context, path: string | undefined, flags: APIFlags): Promise<void> {
  if (!path) throw new CLIError('usage', 'Give the API path, e.g. workfront api proj/search')
  const method = (flags.method ?? 'GET').toUpperCase()
  if (!METHODS.has(method)) throw new CLIError('usage', '-X is one of GET, POST, PUT, DELETE')
  const target = withFields(path, flags.field ?? [])
  const body = flags.input === undefined ? undefined : await readInput(ctx, flags.input)
  if (flags.paginate && (method !== 'GET' || body !== undefined)) {
    throw new CLIError('usage', '--paginate pages through GET searches')
  }
  const profile = await ctx.requireSignedIn()
  const oauth = await ctx.oauth(profile)
  if (flags.paginate) {
    printJSON(ctx.io.stdout, { data: await allPages(oauth, profile.grantId, target) })
    return
  }
  const response = await oauth.fetch(profile.grantId, target, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'Content-Type': 'application/json' } }),
  })
  const text = await response.text()
  print(ctx, text, response.headers.get('content-type'))
  if (!response.ok) throw refused(response.status, text)
}

/** `-f key=value` become query parameters: Workfront reads an API call's parameters from the query string. */
function withFields(path: string, fields: readonly string[]): string {
  if (fields.length === 0) return path
  const query = new URLSearchParams()
  for (const field of fields) {
    const at = field.indexOf('=')
    if (at < 1) throw new CLIError('usage', `-f takes key=value, got ${JSON.stringify(field)}`)
    query.append(field.slice(0, at), field.slice(at + 1))
  }
  return `${path}${path.includes('?') ? '&' : '?'}${query}`
}

async function readInput(ctx: Context, input: string): Promise<string> {
  try {
    return input === '-' ? await ctx.io.readStdin() : await readFile(input, 'utf8')
  } catch (error) {
    throw new CLIError('usage', `Cannot read --input ${input}: ${(error as Error).message}`)
  }
}

function print(ctx: Context, text: string, contentType: string | null): void {
  const { stdout } = ctx.io
  if (!stdout.isTTY) {
    stdout.write(text)
    return
  }
  if (contentType?.includes('json')) {
    try {
      printJSON(stdout, JSON.parse(text))
      return
    } catch {
      // Not JSON after all: as received.
    }
  }
  stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

/**
 * Every page of a search, in order: `$$FIRST` moves by `$$LIMIT` (default the maximum, 2000) until a page
 * comes back short. Workfront needs a sort for stable pages: `ID_Sort=asc` unless the query has one.
 */
async function allPages(oauth: WorkfrontOAuth, grantId: string, target: string): Promise<unknown[]> {
  const [pathname, search = ''] = target.split(/\?(.*)/s, 2) as [string, string?]
  const query = new URLSearchParams(search)
  const limit = Number(query.get('$$LIMIT') ?? MAX_PAGE_SIZE)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new CLIError('usage', `$$LIMIT is between 1 and ${MAX_PAGE_SIZE}`)
  }
  if (![...query.keys()].some((key) => key.endsWith('_Sort'))) query.set('ID_Sort', 'asc')
  query.set('$$LIMIT', String(limit))
  let first = Number(query.get('$$FIRST') ?? 0)
  const rows: unknown[] = []
  for (;;) {
    query.set('$$FIRST', String(first))
    const response = await oauth.fetch(grantId, `${pathname}?${query}`)
    const text = await response.text()
    if (!response.ok) throw refused(response.status, text)
    const data = parseData(text)
    rows.push(...data)
    if (data.length < limit) return rows
    first += limit
  }
}

function parseData(text: string): unknown[] {
  try {
    const { data } = JSON.parse(text) as { data?: unknown }
    if (Array.isArray(data)) return data
  } catch {
    // Reported below.
  }
  throw new CLIError('api_error', '--paginate needs a search that answers {"data": [...]}')
}

function refused(status: number, text: string): CLIError {
  let detail = ''
  try {
    const cls = (JSON.parse(text) as { error?: { class?: unknown } }).error?.class
    if (typeof cls === 'string' && /^[\w.$]{1,200}$/.test(cls)) detail = `, ${cls}`
  } catch {
    // Not a Workfront error envelope.
  }
  if (status === 401) {
    return new CLIError(
      'sign_in_again',
      `Workfront refused the session even after a refresh (HTTP 401${detail})`,
    )
  }
  return new CLIError('api_error', `Workfront answered HTTP ${status}${detail}`)
}
