/**
 * What docs/other-frameworks.md says of each app's glue, counted in the files it shows: the lines that mount
 * the library, beyond configuration (the options of `createWorkfrontOAuth`/`createWebAuth`) and the app's
 * own pages. A line counts when it is neither blank, a comment, nor an import. The target: at most 8 lines
 * per app (issue #20).
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

/** A file's glue: every code line of it, or those from the line that starts with `from` on, or matching. */
interface Part {
  file: string
  from?: string
  matching?: RegExp
}

const APPS: Record<string, { parts: Part[]; lines: number }> = {
  'a fetch handler': { parts: [{ file: 'fetch/handler.ts' }], lines: 1 },
  Deno: { parts: [{ file: 'fetch/handler.ts' }, { file: 'fetch/deno.ts' }], lines: 4 },
  Bun: { parts: [{ file: 'fetch/handler.ts' }, { file: 'fetch/bun.ts' }], lines: 6 },
  'Node, no framework': { parts: [{ file: 'fetch/handler.ts' }, { file: 'fetch/node.ts' }], lines: 6 },
  'a Worker without Hono': { parts: [{ file: 'worker-fetch/src/index.ts', from: 'let handler' }], lines: 8 },
  'Next.js (route handlers, a server component, a Server Action)': {
    parts: [
      { file: 'nextjs/app/auth/[...route]/route.ts' },
      { file: 'nextjs/app/page.tsx', matching: /\bauth\./ },
      { file: 'nextjs/app/actions.ts' },
    ],
    lines: 7,
  },
}

function glue(part: Part): string[] {
  const text = readFileSync(fileURLToPath(new URL(`../${part.file}`, import.meta.url)), 'utf8')
  let lines = text.split('\n')
  if (part.from) lines = lines.slice(lines.findIndex((line) => line.startsWith(part.from as string)))
  return lines.filter(
    (line) =>
      line.trim() !== '' &&
      !/^\s*(\/\/|\/\*|\*)/.test(line) &&
      !/^\s*import\b/.test(line) &&
      !/^\s*} from '/.test(line) &&
      (part.matching ? part.matching.test(line) : true),
  )
}

it.each(Object.entries(APPS))('%s: the glue the docs say, and at most 8 lines', (_, app) => {
  const lines = app.parts.flatMap(glue)
  expect(lines.length, lines.join('\n')).toBe(app.lines)
  expect(lines.length).toBeLessThanOrEqual(8)
})

it('counts what the docs page says it counts', () => {
  const page = readFileSync(fileURLToPath(new URL('../../docs/other-frameworks.md', import.meta.url)), 'utf8')
  for (const [name, app] of Object.entries(APPS)) {
    const row = name.startsWith('Next.js') ? 'Next.js 16 App Router' : name
    const line = page.split('\n').find((l) => l.startsWith(`| [${row}]`))
    expect(line, `the docs page has a row for ${row}`).toBeDefined()
    expect(line).toMatch(new RegExp(`\\|\\s*${app.lines} lines?\\s*\\|`))
  }
})
