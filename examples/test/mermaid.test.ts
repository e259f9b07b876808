/**
 * Every Mermaid diagram in the docs parses and renders, with the Mermaid that GitHub's renderer is built on,
 * in a real headless Chromium. Without Chromium this test fails (it never skips): apt-get install -y
 * chromium, or set CHROMIUM_PATH.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { codeBlocks } from '@workfront-oauth/test-kit/markdown'
import { launchChromium } from '@workfront-oauth/test-kit/node'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { docsFiles, ROOT } from './markdown.ts'

const diagrams = docsFiles().flatMap((doc) =>
  codeBlocks(doc, readFileSync(join(ROOT, doc), 'utf8')).filter((block) => block.lang === 'mermaid'),
)
let browser: Browser | undefined

beforeAll(async () => {
  browser = await launchChromium()
})
afterAll(async () => {
  await browser?.close()
})

it('finds the diagrams of How it works', () => {
  expect(diagrams.filter((d) => d.doc === 'docs/how-it-works.md').length).toBeGreaterThanOrEqual(4)
})

it('renders every Mermaid diagram of the docs', async () => {
  const page = await (browser as Browser).newPage()
  await page.setContent('<!doctype html><html><body></body></html>')
  const require = createRequire(import.meta.url)
  await page.addScriptTag({ path: require.resolve('mermaid/dist/mermaid.min.js') })
  const problems: string[] = []
  for (const [index, diagram] of diagrams.entries()) {
    const error = await page.evaluate(
      async ({ text, id }) => {
        const { mermaid } = globalThis as unknown as {
          mermaid: {
            initialize(config: object): void
            render(id: string, text: string): Promise<{ svg: string }>
          }
        }
        mermaid.initialize({ startOnLoad: false })
        try {
          const { svg } = await mermaid.render(id, text)
          return svg.includes('<svg') ? null : 'no SVG'
        } catch (e) {
          return e instanceof Error ? e.message : String(e)
        }
      },
      { text: diagram.body, id: `diagram${index}` },
    )
    if (error !== null)
      problems.push(`${diagram.doc}:${diagram.line}: ${error.split('\n').slice(0, 4).join(' ')}`)
  }
  expect(problems).toEqual([])
})
