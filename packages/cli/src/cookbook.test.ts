/**
 * The README's cookbook, run exactly as written (bash, with `workfront` on PATH and `jq`) against the
 * Workfront mock over HTTP, signed in through the real loopback flow.
 */

import { spawn } from 'node:child_process'
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Finished, MockServer } from './test/support.ts'
import { BIN, PACKAGE_DIR, signIn, startMockServer, tempConfigDir } from './test/support.ts'

let server: MockServer
let config: Awaited<ReturnType<typeof tempConfigDir>>
let work: string
let env: Record<string, string>
const requests: Array<{ method: string; url: URL; sessionID: string | null }> = []

const readme = await readFile(join(PACKAGE_DIR, 'README.md'), 'utf8')
const cookbook = (/## Cookbook\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '')
  .split('```sh\n')
  .slice(1)
  .map((block) => block.split('```')[0] as string)

beforeAll(async () => {
  server = await startMockServer(1, {
    intercept(request, forward) {
      requests.push({
        method: request.method,
        url: new URL(request.url),
        sessionID: request.headers.get('sessionID'),
      })
      return forward(request)
    },
  })
  config = await tempConfigDir()
  work = await mkdtemp(join(tmpdir(), 'workfront-cookbook-'))
  await writeFile(join(work, 'workfront'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
  await chmod(join(work, 'workfront'), 0o755)
  env = { WORKFRONT_CONFIG_DIR: config.dir }
  expect((await signIn(env, server, { port: server.ports[0] as number })).code).toBe(0)
})

afterAll(async () => {
  await server?.close()
  await config?.remove()
  if (work) await rm(work, { recursive: true, force: true })
})

function bash(script: string): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', script], {
      cwd: work,
      env: { PATH: `${work}:${process.env.PATH}`, HOME: process.env.HOME, ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      stdout += c
    })
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c
    })
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

function block(label: string): string {
  const found = cookbook.find((b) => b.includes(label))
  if (!found) throw new Error(`no cookbook block with ${label}`)
  return found
}

describe('the README cookbook', () => {
  it('has the four recipes', () => {
    expect(cookbook.length).toBe(4)
  })

  it('searches the current projects', async () => {
    const result = await bash(block('proj/search -f status=CUR'))
    expect(result.code).toBe(0)
    const { data } = JSON.parse(result.stdout) as { data: Array<Record<string, unknown>> }
    expect(data.length).toBeGreaterThan(0)
    for (const project of data) {
      expect(project.status).toBeUndefined() // not asked for: only ID, name, objCode and the fields
      expect(typeof project.percentComplete).toBe('number')
    }
  })

  it('exports every project to CSV with jq', async () => {
    const result = await bash(block('@csv'))
    expect(result).toMatchObject({ code: 0, stderr: '' })
    const lines = (await readFile(join(work, 'projects.csv'), 'utf8')).trimEnd().split('\n')
    expect(lines[0]).toBe('"ID","name","status","percentComplete"')
    expect(lines.length).toBe(13)
    const search = requests.filter((r) => r.url.pathname.endsWith('/proj/search')).at(-1)
    expect(search?.url.searchParams.get('ID_Sort')).toBe('asc')
  })

  it('pages through a search with --paginate', async () => {
    requests.length = 0
    const result = await bash("workfront api proj/search --paginate -f '$$LIMIT=5'")
    expect(result.code).toBe(0)
    expect((JSON.parse(result.stdout) as { data: unknown[] }).data.length).toBe(12)
    expect(requests.map((r) => r.url.searchParams.get('$$FIRST'))).toEqual(['0', '5', '10'])
  })

  it('sends the task update as PUT task/<ID>?status=CPL with the session', async () => {
    requests.length = 0
    const result = await bash(block('-X PUT'))
    // The mock has no tasks (404): the CLI shows Workfront's answer and exits 1.
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('Workfront answered HTTP 404, com.attask.common.NotFoundException')
    const put = requests.find((r) => r.method === 'PUT')
    expect(put?.url.pathname).toBe('/attask/api/v21.0/task/5f2c0e8a000d1d2c3a4b5c6d7e8f9a0b')
    expect(put?.url.searchParams.get('status')).toBe('CPL')
    expect(put?.sessionID).toMatch(/^[0-9a-f]{32}$/)
  })

  it('hands the session to curl', async () => {
    const result = await bash(block('curl'))
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({ data: { count: 12 } })
  })
})
