/** The instrumentation's section of `BENCHMARKS.md` and its rows of the ratio chart. */
import type { RatioRow } from '../report/ratios.ts'
import type { Recorded } from '../report/results.ts'
import type { TelemetryMode, TelemetryResult, TelemetryWorkload } from './run.ts'

const WORKLOADS: Record<TelemetryWorkload, string> = {
  'access-token': '`getAccessToken()` served from the near cache',
  'api-call': '`fetch()` of an API path, in-process Workfront mock',
}
const MODES: Record<TelemetryMode, string> = {
  off: 'no instrumentation (the default; the baseline)',
  noop: '`openTelemetry()`, no SDK registered (API no-ops)',
  sdk: '`openTelemetry()` with the SDK: batch span processor + meter provider',
}

const spread = (values: number[]): string =>
  `${(Math.min(...values) / 1000).toFixed(2)} – ${(Math.max(...values) / 1000).toFixed(2)} µs`
const ratioText = (value: number | null): string => (value === null ? '—' : `${value.toFixed(3)}×`)

/** The section, numbered `number`. */
export function telemetrySection(recorded: Recorded<TelemetryResult> | undefined, number: number): string[] {
  const title = `## ${number}. Instrumentation overhead (OpenTelemetry)`
  if (!recorded) return [title, '', 'Not measured in this run.', '']
  const t = recorded.result
  const lines = [
    title,
    '',
    `One process, the same client three times over one Workfront mock, rounds interleaved (${t.rounds} rounds, the`,
    'order rotated each round); each figure is a median over the rounds. The ratio is of CPU time per operation',
    "(this process's user + system time): on a shared machine the wall time moves with the other processes' load.",
    `The SDK rows recorded ${t.spansExported.toLocaleString('en-US')} spans into a counting exporter. Source: \`bench/src/telemetry/run.ts\`.`,
    '',
    '| workload | instrumentation | wall time per operation | CPU per operation | CPU, fastest – slowest round | CPU ÷ none |',
    '|---|---|---:|---:|---:|---:|',
  ]
  for (const row of t.rows) {
    lines.push(
      `| ${WORKLOADS[row.workload]} (${t.ops[row.workload].toLocaleString('en-US')} ops, ${t.concurrency[row.workload]} in flight) | ${MODES[row.mode]} | ${(row.nsPerOp / 1000).toFixed(2)} µs | ${(row.cpuNsPerOp / 1000).toFixed(2)} µs | ${spread(row.rounds.map((r) => r.cpu))} | ${ratioText(row.ratioToOff)} |`,
    )
  }
  lines.push('')
  return lines
}

/** Chart rows: each instrumented mode ÷ none, per workload. */
export function telemetryRatioRows(result: TelemetryResult | undefined): RatioRow[] {
  if (!result) return []
  const rows: RatioRow[] = []
  for (const row of result.rows) {
    if (row.mode === 'off') continue
    const off = result.rows.find((r) => r.workload === row.workload && r.mode === 'off')
    if (!off) continue
    rows.push({
      group: 'Instrumentation overhead (vs none, same run)',
      label: `${row.workload}, ${row.mode === 'noop' ? 'no SDK registered' : 'SDK span processor'}, CPU per operation`,
      value: row.ratioToOff,
      ours: row.cpuNsPerOp / 1000,
      baseline: off.cpuNsPerOp / 1000,
      unit: 'µs',
    })
  }
  return rows
}
