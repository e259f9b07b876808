/**
 * docs/workfront-facts.md against the code. Every table row renders as a row (GitHub splits a row at every
 * unescaped `|`, inside code spans too) and says whether the fact is handled or declined; every file and
 * name a row cites exists, and every mock knob it names is an option of the mock; and the facts that are
 * values or behaviours are checked against the code itself: the host families, the API versions' dates,
 * the page size, the mock's code and session lifetimes, how a refused refresh ends, and what the core
 * sends for two JWT exchanges within one second.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
import type { WorkfrontOAuth } from '@workfront-oauth/core'
import { createWorkfrontOAuth, memoryStore } from '@workfront-oauth/core'
import {
  MAX_PAGE_SIZE,
  WORKFRONT_API_VERSIONS,
  WORKFRONT_HOST_PATTERNS,
} from '@workfront-oauth/core/adapters'
import { createWorkfrontServerAuth } from '@workfront-oauth/core/server'
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  DEMO_WEB_APP,
  TOKEN_PATH,
} from '@workfront-oauth/workfront-mock'
import { completeAuthorization, DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { describe, expect, it } from 'vitest'
import { ROOT } from './markdown.ts'

const PAGE = 'docs/workfront-facts.md'
const text = readFileSync(join(ROOT, PAGE), 'utf8')

interface Row {
  line: number
  cells: string[]
}

/** The tables of the page: a header line, a delimiter line, then rows; cells split as GitHub does. */
function tables(markdown: string): Array<{ header: string[]; rows: Row[] }> {
  const lines = markdown.split('\n')
  const cells = (line: string): string[] =>
    line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim())
  const found: Array<{ header: string[]; rows: Row[] }> = []
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i]!.startsWith('|') || !/^\|(?:\s*:?-{3,}:?\s*\|)+\s*$/.test(lines[i + 1]!)) continue
    const table = { header: cells(lines[i]!), rows: [] as Row[] }
    for (i += 2; i < lines.length && lines[i]!.startsWith('|'); i++) {
      table.rows.push({ line: i + 1, cells: cells(lines[i]!) })
    }
    found.push(table)
  }
  return found
}

const TABLES = tables(text)
const ROWS = TABLES.flatMap((table) => table.rows)

/** The status cell of the row whose fact starts with `start`. */
function status(start: string): string {
  const row = ROWS.find((candidate) => candidate.cells[0]!.startsWith(start))
  if (!row) throw new Error(`${PAGE} has no row whose fact starts with ${JSON.stringify(start)}`)
  return row.cells[1]!
}

/** Source files of the repository by name, and by package for "mock `x.test.ts`" and the like. */
const PACKAGES: Record<string, string> = {
  core: 'packages/core/',
  mock: 'packages/workfront-mock/',
  'redis-store': 'packages/redis-store/',
  'cloudflare-store': 'packages/cloudflare-store/',
}
const SOURCES: string[] = []
for (const top of ['packages', 'apps', 'examples']) {
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'dist', '.turbo', '.wrangler', 'test-results'].includes(entry.name)) continue
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (/\.tsx?$/.test(entry.name)) SOURCES.push(relative(ROOT, path).split(sep).join('/'))
    }
  }
  walk(join(ROOT, top))
}

function sourcesNamed(name: string, scope: string | undefined): string[] {
  const prefix = scope ? PACKAGES[scope]! : ''
  return SOURCES.filter((path) => path.startsWith(prefix) && path.split('/').at(-1) === name)
}

describe(PAGE, () => {
  it('every row renders as a row of its table, and says whether the fact is handled or declined', () => {
    expect(TABLES.length).toBeGreaterThan(5)
    const problems = TABLES.flatMap(({ header, rows }) =>
      rows.flatMap(({ line, cells }) => {
        if (cells.length !== header.length) {
          return [
            `${PAGE}:${line}: ${cells.length} cells where the header has ${header.length}; a "|" inside a code span splits the row too: write "\\|"`,
          ]
        }
        return /^(?:handled|declined|closed)\b/.test(cells[1]!)
          ? []
          : [`${PAGE}:${line}: the status should start with "handled", "declined" or "closed"`]
      }),
    )
    expect(problems).toEqual([])
  })

  it('every file a row cites exists, and every name cited "in" a file is in it', () => {
    const problems: string[] = []
    for (const { line, cells } of ROWS) {
      const cell = cells[1]!
      for (const match of cell.matchAll(
        /(?:\b(core|mock|redis-store|cloudflare-store) )?`([\w.-]+\.tsx?)`/g,
      )) {
        if (sourcesNamed(match[2]!, match[1]).length === 0) {
          problems.push(`${PAGE}:${line}: ${match[0]} names no file of the repository`)
        }
      }
      for (const match of cell.matchAll(/`(\w+)` in `([\w.-]+\.tsx?)`/g)) {
        const [, name, file] = match as unknown as [string, string, string]
        const files = sourcesNamed(file, undefined)
        const mentioned = files.some((path) =>
          new RegExp(`\\b${name}\\b`).test(readFileSync(join(ROOT, path), 'utf8')),
        )
        if (files.length > 0 && !mentioned) problems.push(`${PAGE}:${line}: \`${name}\` is not in ${file}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('every mock knob a row names is an option of the mock, with the value the row gives it', () => {
    const types = readFileSync(join(ROOT, 'packages/workfront-mock/src/types.ts'), 'utf8')
    const problems: string[] = []
    for (const { line, cells } of ROWS) {
      for (const match of cells[1]!.matchAll(
        /(?:[Tt]he mock's|mock) `(\w+)(?:: ('[\w-]+'|true|false|\d+))?`/g,
      )) {
        const [, name, value] = match as unknown as [string, string, string | undefined]
        const option = new RegExp(`^\\s+${name}\\?: (.+)$`, 'm').exec(types)?.[1]
        if (option === undefined) problems.push(`${PAGE}:${line}: the mock has no option ${name}`)
        else if (value?.startsWith("'") && !option.includes(value)) {
          problems.push(`${PAGE}:${line}: ${name} takes ${option}, not ${value}`)
        }
      }
    }
    expect(problems).toEqual([])
  })

  it('names the host families the core allows by default', () => {
    const fact = ROWS.find((row) => row.cells[0]!.startsWith('host families'))!.cells[0]!
    const suffixes = [...fact.matchAll(/`<domain>\.<lane>\.([\w.]+)`/g)].map((m) => m[1])
    const lanes = [...(/lane ((?:`\w+`(?:, | or )?)+)/.exec(fact)?.[1] ?? '').matchAll(/`(\w+)`/g)].map(
      (m) => m[1],
    )
    const named = suffixes.flatMap((suffix) => lanes.map((lane) => `*.${lane}.${suffix}`))
    expect(named.sort()).toEqual([...WORKFRONT_HOST_PATTERNS].sort())
    expect(named).toHaveLength(8)
    expect(status('host families')).toContain('all eight')
  })

  it("gives the API versions' dates of the core's table, and the mock's inferred removal", () => {
    const dates = new Map(WORKFRONT_API_VERSIONS.map((entry) => [entry.version, entry]))
    const said: string[] = []
    let verb = 'deprecated'
    const row = ROWS.find((r) => r.cells[0]!.startsWith('two releases a year'))!.cells[0]!
    for (const match of row.matchAll(/((?:v\d+\/)*v\d+) (?:(deprecated|released) )?(\d{4}-\d\d-\d\d)/g)) {
      verb = match[2] ?? verb
      for (const version of match[1]!.split('/')) {
        said.push(`${version}.0 ${verb} ${match[3]}`)
        expect(dates.get(`${version}.0`)?.[verb as 'deprecated' | 'released'], `${version} ${verb}`).toBe(
          match[3],
        )
      }
    }
    expect(said).toHaveLength(4)
    const removal = /v13\.0 and v14\.0 from (\d{4}-\d\d-\d\d)/.exec(status('when a deprecated version'))?.[1]
    expect([dates.get('v13.0')?.removed, dates.get('v14.0')?.removed]).toEqual([removal, removal])
  })

  it('gives the page size limit of the code', () => {
    expect(ROWS.find((r) => r.cells[0]!.startsWith('paging'))!.cells[0]).toContain(`≤ ${MAX_PAGE_SIZE}`)
  })

  it("gives the mock's code lifetime and session idle time", async () => {
    expect(status('callback: `code` valid 2 minutes')).toContain('the mock expires codes after 120 s')
    expect(status("the session's inactivity timeout")).toContain('`sessionIdleMs` defaults to 8 hours')
    const start = Date.parse('2026-11-30T12:00:00Z')
    const mock = createWorkfrontMock({
      clock: { now: () => start },
      autoConsent: { username: DEMO_USER.username },
    })
    const codeAt = async (ms: number): Promise<number> => {
      const authorize = new URL(`https://${mock.host}/integrations/oauth2/authorize`)
      authorize.search = new URLSearchParams({
        client_id: DEMO_WEB_APP.clientId,
        redirect_uri: DEMO_WEB_APP.redirectUris[0]!,
        response_type: 'code',
      }).toString()
      const redirect = await mock.fetch(new Request(authorize))
      const code = new URL(redirect.headers.get('location')!).searchParams.get('code')!
      mock.clock.advance(ms)
      const token = await mock.fetch(
        new Request(`https://${mock.host}${TOKEN_PATH}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: DEMO_WEB_APP.redirectUris[0]!,
            client_id: DEMO_WEB_APP.clientId,
            client_secret: DEMO_WEB_APP.clientSecrets[0]!,
          }),
        }),
      )
      return token.status
    }
    expect([await codeAt(119_999), await codeAt(120_000)]).toEqual([200, 400])

    const { access_token } = mock.issueGrant({
      clientId: DEMO_WEB_APP.clientId,
      username: DEMO_USER.username,
    })
    const session = async (): Promise<number> =>
      (
        await mock.fetch(
          new Request(`https://${mock.host}/attask/api/v21.0/session`, {
            headers: { sessionID: access_token },
          }),
        )
      ).status
    mock.clock.advance(8 * 3_600_000 - 1)
    expect(await session()).toBe(200)
    mock.clock.advance(8 * 3_600_000)
    expect(await session()).toBe(401)
  })

  it('says how a refused refresh ends: client_rejected for the client, reauthorization for the token', async () => {
    const row = status('refresh tokens expire')
    expect(row).toMatch(
      /is `refresh_rejected`, and after one re-read of the store `reauthorization_required`/,
    )
    expect(row).toMatch(/a refused client \(401, `invalid_client`, `unauthorized_client`\) `client_rejected`/)
    const day = 24 * 3_600_000
    const mock = createWorkfrontMock({ apps: [{ ...DEMO_WEB_APP, refreshTokenAbsoluteTtlMs: day }] })
    const store = memoryStore()
    const client = (secret: string) =>
      createWorkfrontOAuth({
        clientId: DEMO_WEB_APP.clientId,
        clientSecret: secret,
        redirectUri: DEMO_WEB_APP.redirectUris[0]!,
        baseUrl: `https://${mock.host}`,
        store,
        http: (input, init) => mock.fetch(new Request(input, init)),
      })
    const oauth = client(DEMO_WEB_APP.clientSecrets[0]!)
    const { url } = await oauth.startLogin()
    const callback = await completeAuthorization(mock, url, {
      username: DEMO_USER.username,
      password: DEMO_USER.password,
    })
    const { grant } = await oauth.handleCallback(callback)
    const { accessToken } = await oauth.getAccessToken(grant.id)
    const refresh = (o: WorkfrontOAuth) =>
      o.getAccessToken(grant.id, { rejectedAccessToken: accessToken }).then(
        () => 'refreshed',
        (error: { code?: string }) => error.code,
      )
    expect(await refresh(client('a-wrong-secret'))).toBe('client_rejected')
    mock.clock.advance(day)
    expect(await refresh(oauth)).toBe('reauthorization_required')
  })

  it('says what the core sends for two exchanges within one second', async () => {
    const mock = createWorkfrontMock({
      clock: { now: () => Date.parse('2026-11-30T12:00:00Z') },
      jwtReplay: 'refuse',
    })
    const job = createWorkfrontServerAuth({
      clientId: DEMO_M2M_APP.clientId,
      clientSecret: DEMO_M2M_APP.clientSecrets[0]!,
      customerId: DEMO_CUSTOMER_ID,
      userId: DEMO_USER.id,
      privateKey: DEMO_M2M_PRIVATE_KEY,
      baseUrl: `https://${mock.host}`,
      store: memoryStore({ clock: mock.clock }),
      clock: mock.clock,
      http: (input, init) => mock.fetch(new Request(input, init)),
    })
    const { accessToken } = await job.getAccessToken()
    const again = await job.getAccessToken({ rejectedAccessToken: accessToken }).then(
      () => 'a new JWT',
      (error: { code?: string }) => error.code,
    )
    const row = status('a new JWT for every new access token')
    if (again === 'a new JWT') {
      expect(
        row,
        'the core now sends a new JWT within one second: say "handled" and drop "identical"',
      ).not.toMatch(/identical/)
    } else {
      expect(again).toBe('jwt_rejected')
      expect(row).toMatch(/^handled in part: .*two exchanges within one second send identical JWTs/)
    }
  })
})
