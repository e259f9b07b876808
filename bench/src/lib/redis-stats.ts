/**
 * Redis commands issued during a measurement, from `INFO commandstats` before and after. The suite's own
 * `INFO` calls are left out, so what remains is what the code under test sent.
 */
import type { Redis } from 'ioredis'

export type CommandCounts = Record<string, number>

export async function commandStats(redis: Redis): Promise<CommandCounts> {
  const text = await redis.info('commandstats')
  const counts: CommandCounts = {}
  for (const line of text.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line)
    if (match) counts[match[1] as string] = Number(match[2])
  }
  return counts
}

export function commandDelta(before: CommandCounts, after: CommandCounts): CommandCounts {
  const delta: CommandCounts = {}
  for (const [name, calls] of Object.entries(after)) {
    if (name === 'info') continue
    const added = calls - (before[name] ?? 0)
    if (added > 0) delta[name] = added
  }
  return delta
}

export function totalCommands(counts: CommandCounts): number {
  return Object.values(counts).reduce((sum, n) => sum + n, 0)
}
