/**
 * The install steps of the guides, as written: the `sh` code blocks of a page that install something with
 * npm from a registry, cut after their last install line (what follows starts a server or a deployment).
 * Not steps: blocks inside a quotation (`> …`) and blocks that install tarballs (`….tgz`), where the guides
 * say what to do before 0.1.0 is on npm (they clone the repository from GitHub).
 */
import { codeBlocks } from '@workfront-oauth/test-kit/markdown'

/** The pages whose install steps a user copies, from the repository's root. */
export const GUIDES: readonly string[] = [
  'docs/getting-started-node.md',
  'docs/getting-started-workers.md',
  'packages/cli/README.md',
]

/** One block's install steps: the lines as written, from its first to its last install line. */
export interface InstallSteps {
  /** Where the block starts (1-based), for the failure message. */
  line: number
  lines: string[]
}

const INSTALL = /^npm (install|i)\b/
const SHELL = new Set(['sh', 'bash', 'shell'])

/** The install steps of one page, in page order. */
export function installSteps(markdown: string): InstallSteps[] {
  return codeBlocks('', markdown)
    .filter((block) => SHELL.has(block.lang))
    .flatMap((block) => {
      const lines = block.body.replace(/\n$/, '').split('\n')
      const last = lines.findLastIndex((command) =>
        command.split('&&').some((part) => INSTALL.test(part.trim())),
      )
      const tarballs = lines.some((command) => INSTALL.test(command) && /\.tgz\b/.test(command))
      return last >= 0 && !tarballs ? [{ line: block.line, lines: lines.slice(0, last + 1) }] : []
    })
}

/** The packages an install line names (`npm install -D a @b/c@1 # comment` → `a`, `@b/c`). */
export function packagesNamed(line: string): string[] {
  return line
    .replace(/#.*$/, '')
    .split('&&')
    .map((part) => part.trim())
    .filter((part) => INSTALL.test(part))
    .flatMap((part) => part.split(/\s+/).slice(2))
    .filter((word) => word !== '' && !word.startsWith('-'))
    .map((word) => word.replace(/(?<=.)@[^/]*$/, ''))
}
