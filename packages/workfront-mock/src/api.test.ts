import { describe, expect, it } from 'vitest'
import { createWorkfrontMock, DEMO_USER, defaultProjects } from './index'
import { apiRequest, frozenClock, HOST, sessionStatus, tokensFor } from './test-support'

const NOT_LOGGED_IN = {
  error: { class: 'com.attask.common.AuthenticationException', message: 'You are not currently logged in' },
}

// biome-ignore lint/suspicious/noExplicitAny: the assertions below read arbitrary response JSON
type AnyJSON = any

async function signedIn(options: Parameters<typeof createWorkfrontMock>[0] = {}) {
  const mock = createWorkfrontMock(options)
  const { access_token } = await tokensFor(mock)
  const get = async (path: string, init: RequestInit = {}) => {
    const response = await mock.fetch(apiRequest(path, access_token, init))
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    return { status: response.status, headers: response.headers, body: (await response.json()) as AnyJSON }
  }
  return { mock, sessionID: access_token, get }
}

describe('authentication', () => {
  it('reads the session from the sessionID header or query parameter, and never echoes it', async () => {
    const { mock, sessionID, get } = await signedIn()
    const viaHeader = await get('v21.0/session')
    expect(viaHeader.status).toBe(200)
    expect(viaHeader.body).toEqual({ data: { userID: DEMO_USER.id, username: DEMO_USER.username } })
    expect(JSON.stringify(viaHeader.body)).not.toContain(sessionID)

    const viaQuery = await mock.fetch(new Request(`${HOST}/attask/api/v21.0/session?sessionID=${sessionID}`))
    expect(viaQuery.status).toBe(200)
  })

  it('answers 401 AuthenticationException for a missing, unknown or logged-out session', async () => {
    const { mock, sessionID, get } = await signedIn()
    for (const request of [apiRequest('v21.0/session'), apiRequest('v21.0/proj/search', 'f'.repeat(32))]) {
      const response = await mock.fetch(request)
      expect(response.status).toBe(401)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await response.json()).toEqual(NOT_LOGGED_IN)
    }
    const logout = await get('v21.0/logout')
    expect(logout).toMatchObject({ status: 200, body: { data: { success: true } } })
    expect(await sessionStatus(mock, sessionID)).toBe(401)
  })

  it('accepts logout by GET, POST and PUT only', async () => {
    const mock = createWorkfrontMock()
    for (const method of ['GET', 'POST', 'PUT']) {
      const { access_token } = await tokensFor(mock)
      expect((await mock.fetch(apiRequest('v21.0/logout', access_token, { method }))).status).toBe(200)
      expect(await sessionStatus(mock, access_token)).toBe(401)
    }
    const { access_token } = await tokensFor(mock)
    const response = await mock.fetch(apiRequest('v21.0/logout', access_token, { method: 'DELETE' }))
    expect(response.status).toBe(405)
    expect(await sessionStatus(mock, access_token)).toBe(200)
  })

  it('ends a session after sessionIdleMs without use, and each use restarts the timer', async () => {
    const { mock, sessionID } = await signedIn({ clock: frozenClock(), sessionIdleMs: 60_000 })
    mock.clock.advance(59_999)
    expect(await sessionStatus(mock, sessionID)).toBe(200)
    mock.clock.advance(59_999)
    expect(await sessionStatus(mock, sessionID)).toBe(200)
    mock.clock.advance(60_000)
    expect(await sessionStatus(mock, sessionID)).toBe(401)
    // Expired is final, even if time went back.
    mock.clock.set(0)
    expect(await sessionStatus(mock, sessionID)).toBe(401)
  })

  it('defaults to an 8 hour idle limit', async () => {
    const { mock, sessionID } = await signedIn({ clock: frozenClock() })
    mock.clock.advance(8 * 3_600_000 - 1)
    expect(await sessionStatus(mock, sessionID)).toBe(200)
    mock.clock.advance(8 * 3_600_000)
    expect(await sessionStatus(mock, sessionID)).toBe(401)
  })

  it('expireAllSessions ends every session but leaves refresh tokens alone', async () => {
    const mock = createWorkfrontMock()
    const a = await tokensFor(mock)
    const b = await tokensFor(mock)
    mock.expireAllSessions()
    expect(await sessionStatus(mock, a.access_token)).toBe(401)
    expect(await sessionStatus(mock, b.access_token)).toBe(401)
    const refreshed = await mock.fetch(
      new Request(`${HOST}/integrations/oauth2/api/v1/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: a.refresh_token,
          client_id: 'demo-client',
          client_secret: 'demo-secret',
        }),
      }),
    )
    expect(refreshed.status).toBe(200)
  })
})

describe('versions', () => {
  const day = (iso: string) => ({ now: () => Date.parse(iso) })

  it('follows the schedule at the mock clock: deprecated versions served, removed ones 410', async () => {
    // 2026-06-01: v13/v14/v15 deprecated yet served, v22 released.
    const june = await signedIn({ clock: day('2026-06-01T00:00:00Z') })
    for (const version of ['v13.0', 'v14.0', 'v15.0', 'v22.0'])
      expect((await june.get(`${version}/session`)).status).toBe(200)
    expect((await june.get('v12.0/session')).status).toBe(410)
    // Before v22's release it does not exist yet.
    const april = await signedIn({ clock: day('2026-04-01T00:00:00Z') })
    expect((await april.get('v22.0/session')).status).toBe(404)
    // A year after deprecation a version is removed; the answer says that date and itself are inferences.
    const december = await signedIn({ clock: day('2026-12-18T00:00:00Z') })
    const removed = await december.get('v15.0/session')
    expect(removed.status).toBe(410)
    expect(removed.body.error.message).toBe(
      'API version v15.0 was deprecated on 2025-12-18; the mock takes it as removed from 2026-12-18, one ' +
        "year later. Workfront documents neither a removal date nor this answer: the Workfront mock's " +
        'inference. Pass apiVersions to serve it.',
    )
    expect((await december.get('v16.0/session')).status).toBe(200)
    expect((await december.get('v12.0/session')).body.error.message).toMatch(
      /^API version v12\.0 is older than v13\.0, the oldest in Workfront's notes\. .*inference$/,
    )
  })

  it("answers the seed's own call, v14.0/proj/search, with 410 after the inferred removal; apiVersions serves it", async () => {
    const october = await signedIn({ clock: day('2026-10-01T00:00:00Z') })
    const refused = await october.get('v14.0/proj/search')
    expect(refused.status).toBe(410)
    expect(refused.body.error.message).toContain('removed from 2026-09-30, one year later')
    expect(refused.body.error.message).toContain("the Workfront mock's inference")
    // The day before, the deprecated version is still served.
    const september = await signedIn({ clock: day('2026-09-29T00:00:00Z') })
    expect((await september.get('v14.0/proj/search')).status).toBe(200)
    const served = await signedIn({ clock: day('2026-10-01T00:00:00Z'), apiVersions: ['v14.0', 'v21.0'] })
    const projects = await served.get('v14.0/proj/search')
    expect(projects.status).toBe(200)
    expect(projects.body.data).toHaveLength(defaultProjects().length)
  })

  it('serves the version-less Default API as the newest released version', async () => {
    const { get } = await signedIn({ clock: day('2026-06-01T00:00:00Z') })
    const session = await get('session')
    expect(session.status).toBe(200)
    expect(session.body.data.userID).toBe(DEMO_USER.id)
    expect((await get('proj/count')).body).toEqual({ data: { count: defaultProjects().length } })
    // Before v22, the Default API is v21: fields are the same here, but a v22-only path would not be.
    expect((await (await signedIn({ clock: day('2026-04-01T00:00:00Z') })).get('session')).status).toBe(200)
  })

  it('serves v15.0 to v22.0 on 2026-11-30, retires older versions with 410 and does not know others', async () => {
    const { get } = await signedIn({ clock: day('2026-11-30T00:00:00Z') })
    for (const version of ['v15.0', 'v21.0', 'v22.0'])
      expect((await get(`${version}/session`)).status).toBe(200)
    for (const version of ['v13.0', 'v14.0', 'v2.0']) {
      const response = await get(`${version}/session`)
      expect(response.status).toBe(410)
      expect(response.body.error.class).toMatch(/^com\.attask\./)
    }
    for (const version of ['v23.0', 'v21.1', 'latest', '21.0', '']) {
      const response = await get(`${version}/session`)
      expect(response.status).toBe(404)
      expect(response.body.error.class).toBe('com.attask.common.NotFoundException')
    }
  })

  it('follows the apiVersions option', async () => {
    const { get } = await signedIn({ apiVersions: ['v14.0', 'v21.0'] })
    expect((await get('v14.0/session')).status).toBe(200)
    const older = await get('v13.0/session')
    expect(older.status).toBe(410)
    expect(older.body.error.message).toBe(
      'API version v13.0 is older than every version this mock serves (its apiVersions option)',
    )
    expect((await get('v15.0/session')).status).toBe(404)
  })
})

describe('objects', () => {
  it('searches projects with ID, name and objCode by default', async () => {
    const { get } = await signedIn()
    const { status, body } = await get('v21.0/proj/search')
    expect(status).toBe(200)
    expect(body.data).toHaveLength(12)
    expect(body.data[0]).toEqual({ ID: defaultProjects()[0]!.ID, name: 'Website Redesign', objCode: 'PROJ' })
    for (const row of body.data) expect(row.ID).toMatch(/^[0-9a-f]{32}$/)
  })

  it('adds requested fields, accepts *, and rejects unknown fields with 422', async () => {
    const { get } = await signedIn()
    const some = await get('v21.0/proj/search?fields=status,percentComplete,name')
    expect(Object.keys(some.body.data[0])).toEqual(['ID', 'name', 'objCode', 'status', 'percentComplete'])
    const all = await get('v21.0/proj/search?fields=*')
    expect(Object.keys(all.body.data[0]).sort()).toEqual(
      ['ID', 'name', 'objCode', 'ownerID', 'percentComplete', 'plannedCompletionDate', 'status'].sort(),
    )
    const unknown = await get('v21.0/proj/search?fields=budget')
    expect(unknown.status).toBe(422)
    expect(unknown.body.error).toEqual({
      class: 'com.attask.api.APIModelException',
      message: 'APIModel v21.0 does not support field budget (Project)',
    })
  })

  it('filters by equality, counts, and sorts', async () => {
    const { get } = await signedIn()
    const current = await get('v21.0/proj/search?status=CUR&fields=status')
    expect(current.body.data.length).toBe(5)
    for (const row of current.body.data) expect(row.status).toBe('CUR')
    expect((await get('v21.0/proj/count?status=CUR')).body).toEqual({ data: { count: 5 } })
    expect((await get('v21.0/proj/count')).body).toEqual({ data: { count: 12 } })
    expect((await get('v21.0/proj/count?status=CUR&status_Mod=eq&percentComplete=45')).body.data.count).toBe(
      1,
    )

    const sorted = await get(
      'v21.0/proj/search?percentComplete_Sort=desc&name_Sort=asc&fields=percentComplete',
    )
    const pct = sorted.body.data.map((row: { percentComplete: number }) => row.percentComplete)
    expect(pct).toEqual([...pct].sort((a, b) => b - a))
    expect(sorted.body.data.slice(0, 2).map((row: { name: string }) => row.name)).toEqual([
      'Annual Report',
      'Brand Guidelines Refresh',
    ])

    for (const query of ['budget=1', 'status_Mod=in&status=CUR', 'name_Sort=up', '$$POST_PROCESSING=x']) {
      const response = await get(`v21.0/proj/search?${query}`)
      expect(response.status).toBe(422)
    }
  })

  it('pages with $$FIRST and $$LIMIT up to 2000', async () => {
    const { get } = await signedIn()
    const all = (await get('v21.0/proj/search?name_Sort=asc')).body.data
    const page = await get('v21.0/proj/search?name_Sort=asc&$$FIRST=2&$$LIMIT=3')
    expect(page.body.data).toEqual(all.slice(2, 5))
    expect((await get('v21.0/proj/search?$$FIRST=11&$$LIMIT=2000')).body.data).toHaveLength(1)
    expect((await get('v21.0/proj/search?$$FIRST=50')).body.data).toEqual([])
    for (const bad of [
      '$$LIMIT=2001',
      '$$LIMIT=0',
      '$$LIMIT=-1',
      '$$LIMIT=abc',
      '$$FIRST=-1',
      '$$FIRST=1.5',
    ]) {
      const response = await get(`v21.0/proj/search?${bad}`)
      expect(response.status).toBe(422)
      expect(response.body.error.class).toBe('com.attask.common.InvalidParameterException')
    }
  })

  it('pages a large data set with the default limit of 100', async () => {
    const projects = Array.from({ length: 2_500 }, (_, i) => ({
      ID: i.toString(16).padStart(32, '0'),
      name: `Project ${i}`,
      status: 'CUR',
      plannedCompletionDate: '2026-06-30T17:00:00:000-0400',
      ownerID: DEMO_USER.id,
      percentComplete: 0,
    }))
    const { get } = await signedIn({ projects })
    expect((await get('v21.0/proj/search')).body.data).toHaveLength(100)
    expect((await get('v21.0/proj/search?$$LIMIT=2000')).body.data).toHaveLength(2_000)
    expect((await get('v21.0/proj/search?$$FIRST=2000&$$LIMIT=2000')).body.data).toHaveLength(500)
    expect((await get('v21.0/proj/count')).body.data.count).toBe(2_500)
  })

  it('gets one object by ID, and 404s for an unknown one', async () => {
    const { get } = await signedIn()
    const project = defaultProjects()[2]!
    const one = await get(`v21.0/proj/${project.ID}?fields=ownerID`)
    expect(one.body).toEqual({
      data: { ID: project.ID, name: project.name, objCode: 'PROJ', ownerID: project.ownerID },
    })
    expect((await get(`v21.0/PROJ/${project.ID}`)).status).toBe(200)
    const missing = await get(`v21.0/proj/${'0'.repeat(32)}`)
    expect(missing.status).toBe(404)
    expect(missing.body.error.class).toBe('com.attask.common.NotFoundException')
  })

  it('serves users without their passwords', async () => {
    const { get } = await signedIn()
    const users = await get('v21.0/user/search?fields=*')
    expect(users.body.data).toHaveLength(3)
    expect(users.body.data[0]).toEqual({
      ID: DEMO_USER.id,
      name: DEMO_USER.name,
      objCode: 'USER',
      username: DEMO_USER.username,
      emailAddr: DEMO_USER.email,
    })
    expect(JSON.stringify(users.body)).not.toMatch(/password/)
    expect((await get(`v21.0/user/${DEMO_USER.id}`)).body.data.name).toBe(DEMO_USER.name)
    expect((await get('v21.0/user/search?username=sam@acme.test')).body.data).toHaveLength(1)
  })

  it('404s unknown paths and 405s writes', async () => {
    const { get } = await signedIn()
    for (const path of [
      'v21.0/task/search',
      'v21.0/proj',
      'v21.0/proj/',
      'v21.0/proj/search/x',
      'v21.0/session/x',
    ]) {
      const response = await get(path)
      expect(response.status).toBe(404)
      expect(response.body.error.class).toBe('com.attask.common.NotFoundException')
    }
    const write = await get('v21.0/proj/search', { method: 'POST' })
    expect(write.status).toBe(405)
    expect(write.headers.get('allow')).toBe('GET')
  })

  it('checks the session before revealing what exists', async () => {
    const mock = createWorkfrontMock()
    expect((await mock.fetch(apiRequest('v21.0/task/search'))).status).toBe(401)
  })
})

describe('concurrency limit', () => {
  it('answers 429 with Retry-After above maxConcurrentApiRequests, and frees slots afterwards', async () => {
    const { mock, sessionID } = await signedIn({ maxConcurrentApiRequests: 1 })
    mock.resetCounters()
    // The latency holds the first request in flight while the second arrives.
    mock.setLatency({ api: 20 })
    const [first, second] = await Promise.all([
      mock.fetch(apiRequest('v21.0/session', sessionID)),
      mock.fetch(apiRequest('v21.0/session', sessionID)),
    ])
    expect(first.status).toBe(200)
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toBe('1')
    expect(await second.json()).toMatchObject({ error: { class: expect.stringMatching(/^com\.attask\./) } })
    mock.setLatency({ api: 0 })
    // Failed requests release their slot too.
    expect((await mock.fetch(apiRequest('v21.0/session'))).status).toBe(401)
    expect((await mock.fetch(apiRequest('v21.0/session', sessionID))).status).toBe(200)
    expect(mock.counters().apiCalls).toEqual({ '200': 2, '401': 1, '429': 1 })
  })
})
