/**
 * The install steps of the guides, as written: the `sh` code blocks of a page that install something with
 * npm from a registry, cut after their last install line (what follows starts a server or a deployment).
 * Not steps: blocks inside a quotation (`> …`) and blocks that install tarballs (`….tgz`), where the guides
 * say what to do before 0.1.0 is on npm (they clone the repository from GitHub).
 */

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

/** The install steps of one page, in page order. */
export function installSteps(markdown: string): InstallSteps[] {
  const steps: InstallSteps[] = []
  let block: { line: number; lines: string[] } | undefined
  markdown.split('\n').forEach((text, index) => {
    if (block === undefined) {
      if (/^```(sh|bash|shell)\s*$/.test(text)) block = { line: index + 1, lines: [] }
      return
    }
    if (text.startsWith('```')) {
      const last = block.lines.findLastIndex((command) =>
        command.split('&&').some((part) => INSTALL.test(part.trim())),
      )
      const tarballs = block.lines.some((command) => INSTALL.test(command) && /\.tgz\b/.test(command))
      if (last >= 0 && !tarballs) steps.push({ line: block.line, lines: block.lines.slice(0, last + 1) })
      block = undefined
      return
    }
    block.lines.push(text)
  })
  return steps
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
