/**
 * The results files (`results/<suite>.json`): each suite's figures with when, how and on what machine they
 * were measured. The report and the chart are drawn from these files only.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BundleSize } from '../bundle/run.ts'
import type { EdgeResult } from '../edge/run.ts'
import type { Machine } from '../lib/machine.ts'
import type { LoginResult } from '../login/run.ts'
import type { OverheadResult } from '../overhead/run.ts'
import type { StormResult } from '../storm/run.ts'
import type { TelemetryResult } from '../telemetry/run.ts'

export type Mode = 'full' | 'smoke'

export interface Recorded<T> {
  suite: string
  mode: Mode
  measuredAt: string
  durationSeconds: number
  machine: Machine
  result: T
}

export interface Results {
  storm?: Recorded<StormResult>
  overhead?: Recorded<OverheadResult>
  login?: Recorded<LoginResult>
  bundle?: Recorded<BundleSize[]>
  edge?: Recorded<EdgeResult>
  telemetry?: Recorded<TelemetryResult>
  /** The last complete run of the suite: how long `pnpm bench` took. */
  run?: Recorded<{ suites: string[]; totalSeconds: number }>
}

export const SUITES = ['storm', 'overhead', 'login', 'bundle', 'edge', 'telemetry'] as const
export type Suite = (typeof SUITES)[number]

export async function writeRecorded(dir: string, name: string, recorded: Recorded<unknown>): Promise<string> {
  await mkdir(dir, { recursive: true })
  const path = join(dir, `${name}.json`)
  await writeFile(path, `${JSON.stringify(recorded, null, 2)}\n`)
  return path
}

export function readResults(dir: string): Results {
  const results: Results = {}
  for (const name of [...SUITES, 'run'] as const) {
    const path = join(dir, `${name}.json`)
    if (existsSync(path)) {
      ;(results as Record<string, unknown>)[name] = JSON.parse(readFileSync(path, 'utf8'))
    }
  }
  return results
}
