/**
 * docs/troubleshooting.md against the core's error table (`ErrorCode` in packages/core/src/errors.ts and
 * `errorInfo` in packages/core/src/error-table.ts): one section per code, with its HTTP status and the three answers, and no
 * section for a code that no longer exists. The READMEs' error tables are held to the same list.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ErrorCode, errorInfo, httpStatusFor } from '@workfront-oauth/core'
import { errorActionLink } from '@workfront-oauth/core/adapters'
import { describe, expect, it } from 'vitest'
import { ROOT } from './markdown.ts'

const codes = Object.values(ErrorCode) as ErrorCode[]
const page = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8')
const LABELS = ['What it means', 'What the user sees', 'What the operator does'] as const

/** `### \`code\`` up to the next heading of level ≤ 3. */
function sections(markdown: string): Map<string, string> {
  const found = new Map<string, string>()
  const parts = markdown.split(/^(?=#{1,3} )/m)
  for (const part of parts) {
    const code = /^### `([a-z_]+)`\s*$/m.exec(part.split('\n')[0]!)?.[1]
    if (code) found.set(code, part)
  }
  return found
}

function template(code: ErrorCode): string {
  return [
    `### \`${code}\``,
    '',
    `**HTTP status:** ${httpStatusFor(code)}`,
    '',
    ...LABELS.flatMap((label) => [`**${label}:** …`, '']),
  ].join('\n')
}

describe('docs/troubleshooting.md', () => {
  const documented = sections(page)

  it('has a section for every error code of the core', () => {
    const missing = codes
      .filter((code) => !documented.has(code))
      .map(
        (code) =>
          `docs/troubleshooting.md has no section for \`${code}\` (ErrorCode in packages/core/src/errors.ts). ` +
          `Add it, in the group where it belongs, and link it from the table at the top:\n\n${template(code)}`,
      )
    expect(missing).toEqual([])
  })

  it('documents no code that the core does not have', () => {
    const known = new Set<string>(codes)
    const stale = [...documented.keys()]
      .filter((code) => !known.has(code))
      .map(
        (code) =>
          `docs/troubleshooting.md documents \`${code}\`, which is not in ErrorCode: remove or rename it`,
      )
    expect(stale).toEqual([])
  })

  it('gives each code its HTTP status from httpStatusFor() and the three answers', () => {
    const problems: string[] = []
    for (const [code, section] of documented) {
      if (!(codes as string[]).includes(code)) continue
      const status = /^\*\*HTTP status:\*\* (\d{3})\b/m.exec(section)?.[1]
      const expected = httpStatusFor(code as ErrorCode)
      if (Number(status) !== expected) {
        problems.push(
          `\`${code}\`: the section says HTTP status ${status ?? '(none)'}; httpStatusFor() answers ${expected}. ` +
            `Write \`**HTTP status:** ${expected}\`.`,
        )
      }
      for (const label of LABELS) {
        const answer = new RegExp(`^\\*\\*${label}:\\*\\* (.+)`, 'm').exec(section)?.[1]?.trim() ?? ''
        if (answer.length < 10 || answer === '…') {
          problems.push(`\`${code}\`: no \`**${label}:** …\` paragraph (one or more sentences).`)
        }
      }
    }
    expect(problems).toEqual([])
  })

  it("quotes the web handler's error page for each code: its title and its button", () => {
    const problems: string[] = []
    for (const code of codes) {
      const answer = /^\*\*What the user sees:\*\* (.+)/m.exec(documented.get(code) ?? '')?.[1] ?? ''
      const { title, action } = errorInfo(code)
      const { label } = errorActionLink(action, {
        signInUrl: '/',
        basePath: '/auth',
        path: '/',
        method: 'GET',
      })
      if (!answer.includes(`"${title}"`) || !answer.includes(`**${label}**`)) {
        problems.push(
          `\`${code}\`: "What the user sees" should quote the page: the error page says "${title}", with a **${label}** button.`,
        )
      }
    }
    expect(problems).toEqual([])
  })

  it('links every code from the table at the top', () => {
    const table = page.split(/^## /m)[0]!
    const unlinked = codes
      .filter((code) => !table.includes(`[\`${code}\`](#${code})`))
      .map(
        (code) =>
          `the table at the top of docs/troubleshooting.md has no row linking [\`${code}\`](#${code})`,
      )
    expect(unlinked).toEqual([])
  })
})

describe('error tables of the READMEs', () => {
  it('the core README lists every code', () => {
    const readme = readFileSync(join(ROOT, 'packages/core/README.md'), 'utf8')
    const errors = readme.split('## Errors')[1]?.split(/^## /m)[0] ?? ''
    const missing = codes.filter((code) => !errors.includes(`\`${code}\``))
    expect(missing, 'add these codes to the table of "## Errors" in packages/core/README.md').toEqual([])
  })

  it('the hono-adapter README puts every code under its HTTP status', () => {
    const readme = readFileSync(join(ROOT, 'packages/hono-adapter/README.md'), 'utf8')
    const rows = new Map<number, string>()
    for (const match of readme.matchAll(/^\|\s*(\d{3})\s*\|(.*)\|\s*$/gm))
      rows.set(Number(match[1]), match[2]!)
    const misplaced = codes
      .filter((code) => !rows.get(httpStatusFor(code))?.includes(`\`${code}\``))
      .map(
        (code) =>
          `packages/hono-adapter/README.md: put \`${code}\` in the ${httpStatusFor(code)} row of "## Errors"`,
      )
    expect(misplaced).toEqual([])
  })
})
