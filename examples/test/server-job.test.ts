/**
 * docs/server-jobs.md's job, run as written against the Workfront mock over real HTTP on loopback: its
 * Machine to Machine app, the demo key in a file, one JWT exchange, the API, and the logout.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createWorkfrontMock,
  DEMO_CUSTOMER_ID,
  DEMO_M2M_APP,
  DEMO_USER,
  defaultProjects,
} from '@workfront-oauth/workfront-mock'
import { DEMO_M2M_PRIVATE_KEY } from '@workfront-oauth/workfront-mock/testing'
import { afterAll, expect, it } from 'vitest'
import { nightlySync } from '../server-job/nightly-sync.ts'
import { serveMock } from './http.ts'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

it('signs a JWT, exchanges it once, reads the current projects and ends the session', async () => {
  const mock = createWorkfrontMock()
  const workfront = await serveMock(mock)
  closers.push(workfront.close)
  const dir = await mkdtemp(join(tmpdir(), 'server-job-'))
  closers.push(() => rm(dir, { recursive: true, force: true }))
  const keyFile = join(dir, 'private.pem')
  await writeFile(keyFile, DEMO_M2M_PRIVATE_KEY, { mode: 0o600 })

  const lines = await nightlySync({
    WORKFRONT_BASE_URL: workfront.origin,
    WORKFRONT_CLIENT_ID: DEMO_M2M_APP.clientId,
    WORKFRONT_CLIENT_SECRET: DEMO_M2M_APP.clientSecrets[0],
    WORKFRONT_CUSTOMER_ID: DEMO_CUSTOMER_ID,
    WORKFRONT_USER_ID: DEMO_USER.id,
    WORKFRONT_PRIVATE_KEY_FILE: keyFile,
  })

  const current = defaultProjects()
    .filter((p) => p.status === 'CUR')
    .sort((a, b) => a.name.localeCompare(b.name))
  expect(lines).toEqual(current.map((p) => `${p.name}: ${p.percentComplete}%`))
  expect(mock.counters().jwtExchanges).toEqual({ calls: 1, succeeded: 1 })
  expect(mock.counters().apiCalls).toEqual({ '200': 2 }) // the search, and the logout
})

it('says which setting is missing', async () => {
  await expect(nightlySync({})).rejects.toThrow('WORKFRONT_BASE_URL is not set')
})
