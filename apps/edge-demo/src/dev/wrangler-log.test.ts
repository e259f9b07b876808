import { describe, expect, it } from 'vitest'
import { createWranglerLogFilter } from './wrangler-log.ts'

/** What wrangler 4.86 prints for `pnpm demo` (seen here), in order. */
const STARTUP = [
  '',
  ' ⛅️ wrangler 4.86.0 (update available 4.164.0)',
  '─────────────────────────────────────────────',
  'Using secrets defined in ../../../../../tmp/edge-demo-OADVrP/worker.env',
  'Your Worker has access to the following bindings:',
  'Binding                                    Resource                  Mode',
  'env.SESSION_SECRET ("(hidden)")            Environment Variable      local',
  '',
  '⎔ Starting local server...',
  '[wrangler:info] Ready on http://127.0.0.1:8787',
  'edge-demo: Workfront is the built-in Workfront mock (no account, no network); sessions in memory',
  '[wrangler:info] GET /api/session 200 OK (84ms)',
]

describe('createWranglerLogFilter', () => {
  it('keeps the Worker’s own lines and drops the banner, bindings, variables and readiness probes', () => {
    const log = createWranglerLogFilter()
    expect(STARTUP.map((line) => log.filter(line)).filter((line) => line !== null)).toEqual([
      'edge-demo: Workfront is the built-in Workfront mock (no account, no network); sessions in memory',
    ])
  })

  it('shows requests once the demo is up', () => {
    const log = createWranglerLogFilter()
    log.showRequests()
    expect(log.filter('\u001b[2m[wrangler:info] GET /nope 404 Not Found (6ms)\u001b[0m')).toBe(
      '  GET /nope 404 Not Found (6ms)',
    )
    expect(log.filter('[wrangler:info] Reloading local server...')).toBeNull()
  })

  it('keeps every warning and error with the lines that explain it, but never a variable', () => {
    const log = createWranglerLogFilter()
    const lines = [
      '✘ [ERROR] Uncaught TypeError: x is not a function',
      '      at fetch (worker.ts:10:5)',
      '  env.TOKEN_ENCRYPTION_KEY ("AAEC…")',
      '',
      '⎔ Reloading local server...',
      '▲ [WARNING] The latest compatibility date supported by the installed Cloudflare Workers Runtime is',
      '  "2026-04-26", but you have requested "2026-05-01".',
    ]
    expect(lines.map((line) => log.filter(line))).toEqual([
      '✘ [ERROR] Uncaught TypeError: x is not a function',
      '      at fetch (worker.ts:10:5)',
      null,
      null,
      null,
      '▲ [WARNING] The latest compatibility date supported by the installed Cloudflare Workers Runtime is',
      '  "2026-04-26", but you have requested "2026-05-01".',
    ])
  })
})
