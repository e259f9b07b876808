/**
 * Login throughput: completed sign-ins per second through the adapter, against the bare token exchange
 * measured in the same child process, rounds interleaved (see `worker.ts`).
 */
import { forkChild } from '../lib/ipc.ts'
import { median } from '../lib/stats.ts'
import type { LoginImpl, LoginRunReport, LoginRunRequest } from './worker.ts'

export interface LoginOptions {
  rounds: number
  count: number
  concurrency: number
  log(line: string): void
}

export interface LoginRun extends LoginRunReport {
  round: number
  perSecond: number
  microsPerLogin: number
  cpuMicrosPerLogin: number
}

export interface LoginSide {
  impl: LoginImpl
  rounds: number
  perSecond: number
  microsPerLogin: number
  cpuMicrosPerLogin: number
}

export interface LoginResult {
  count: number
  concurrency: number
  adapter: LoginSide
  bare: LoginSide
  /** Median time per login added by the adapter over the bare exchange, in µs. */
  addedMicrosPerLogin: number
  runs: LoginRun[]
}

const WORKER = new URL('./worker.ts', import.meta.url)

export async function runLogin(options: LoginOptions): Promise<LoginResult> {
  const worker = await forkChild(WORKER)
  try {
    const once = async (impl: LoginImpl, count: number, round: number): Promise<LoginRun> => {
      const report = await worker.request<LoginRunReport>(
        { type: 'run', impl, count, concurrency: options.concurrency } satisfies Omit<LoginRunRequest, 'id'>,
        120_000,
      )
      return {
        ...report,
        round,
        perSecond: report.count / (report.ms / 1000),
        microsPerLogin: (report.ms * 1000) / report.count,
        cpuMicrosPerLogin: report.cpuMicros / report.count,
      }
    }
    await once('adapter', Math.ceil(options.count / 4), -1)
    await once('bare', Math.ceil(options.count / 4), -1)
    const runs: LoginRun[] = []
    for (let round = 0; round < options.rounds; round++) {
      const order: LoginImpl[] = round % 2 === 0 ? ['adapter', 'bare'] : ['bare', 'adapter']
      for (const impl of order) {
        const run = await once(impl, options.count, round)
        runs.push(run)
        options.log(
          `login ${impl.padEnd(7)} round ${round + 1}: ${run.perSecond.toFixed(0)} logins/s, ${run.microsPerLogin.toFixed(0)} µs/login`,
        )
      }
    }
    const side = (impl: LoginImpl): LoginSide => {
      const mine = runs.filter((run) => run.impl === impl)
      return {
        impl,
        rounds: mine.length,
        perSecond: median(mine.map((r) => r.perSecond)),
        microsPerLogin: median(mine.map((r) => r.microsPerLogin)),
        cpuMicrosPerLogin: median(mine.map((r) => r.cpuMicrosPerLogin)),
      }
    }
    const adapter = side('adapter')
    const bare = side('bare')
    return {
      count: options.count,
      concurrency: options.concurrency,
      adapter,
      bare,
      addedMicrosPerLogin: adapter.microsPerLogin - bare.microsPerLogin,
      runs,
    }
  } finally {
    await worker.stop()
  }
}
