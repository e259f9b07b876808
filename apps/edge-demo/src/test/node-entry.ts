/**
 * The Node entry and the Workfront mock's Node entry as child processes, on free ports (Node only).
 */
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { NODE_ONLY_VARIABLES, WORKER_VARIABLES } from '../dev/contract.ts'
import { freePort, retryWhenPortTaken } from '../dev/ports.ts'
import { PACKAGE_DIR } from '../dev/wrangler-dev.ts'
import type { Started } from './processes.ts'
import { startProcess } from './processes.ts'

/** Built by the package's `build` (turbo runs it before `test`). */
export const NODE_ENTRY: string = join(PACKAGE_DIR, 'dist/node/node.mjs')

export function assertNodeEntryBuilt(): void {
  if (!existsSync(NODE_ENTRY)) {
    throw new Error(`${NODE_ENTRY} is missing: run \`pnpm turbo run build --filter edge-demo\` first`)
  }
}

/** This process's environment without any variable of the demo's contract, plus `vars`. */
export function childEnv(vars: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of [...WORKER_VARIABLES, ...NODE_ONLY_VARIABLES]) delete env[name]
  return { ...env, ...vars }
}

export interface Instance extends Started {
  readonly url: string
}

/** Starts a process listening on a free port, trying other ports if one is taken meanwhile. */
function onFreePort(start: (port: number) => Promise<Started>): Promise<Instance> {
  return retryWhenPortTaken(async () => {
    const port = await freePort()
    return Object.assign(await start(port), { url: `http://127.0.0.1:${port}` })
  })
}

/** `node dist/node/node.mjs` with the given variables; resolves once it listens. */
export function startNodeEntry(name: string, vars: Readonly<Record<string, string>>): Promise<Instance> {
  assertNodeEntryBuilt()
  return onFreePort((port) =>
    startProcess({
      name,
      command: process.execPath,
      args: [NODE_ENTRY],
      env: childEnv({ ...vars, PORT: String(port) }),
      ready: /listening on http/,
    }),
  )
}

/** The Workfront mock's own Node entry (the package's `workfront-mock` bin): admin knobs under `/__mock`. */
export function startMockServer(): Promise<Instance> {
  const require = createRequire(join(PACKAGE_DIR, 'package.json'))
  const manifest = require.resolve('@workfront-oauth/workfront-mock/package.json')
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }
  const entry = join(dirname(manifest), bin['workfront-mock'] as string)
  return onFreePort((port) =>
    startProcess({
      name: 'workfront-mock',
      command: process.execPath,
      args: [entry],
      env: childEnv({ PORT: String(port) }),
      ready: /listening on http/,
    }),
  )
}
