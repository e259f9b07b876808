/**
 * The docs harness's reading side: which Markdown files are docs, their fenced code blocks, the
 * `<!-- file: … -->` marker that names each block's source file, and which files `pnpm typecheck` checks.
 * Node only.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

export const ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** Languages whose blocks must come from a file (TypeScript and JavaScript in all their spellings). */
export const CODE_LANGUAGES: ReadonlySet<string> = new Set([
  'ts',
  'typescript',
  'tsx',
  'mts',
  'cts',
  'js',
  'javascript',
  'jsx',
  'mjs',
  'cjs',
])

const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', '.git', '.turbo', '.wrangler', 'test-results'])

/** `docs/**\/*.md` and every `README.md` of the repository, as paths relative to the root, sorted. */
export function docsFiles(root: string = ROOT): string[] {
  const found: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        // docs/api is generated from the TSDoc by `pnpm docs` (tools/release checks it is current).
        const generated = relative(root, join(dir, entry.name)).split(sep).join('/') === 'docs/api'
        if (!SKIPPED_DIRECTORIES.has(entry.name) && !generated) walk(join(dir, entry.name))
        continue
      }
      const path = relative(root, join(dir, entry.name)).split(sep).join('/')
      if (entry.name === 'README.md' || (path.startsWith('docs/') && entry.name.endsWith('.md'))) {
        found.push(path)
      }
    }
  }
  walk(root)
  return found.sort()
}

/** The text a marker names: the whole file, or the lines between `#region name` and `#endregion`. */
export function sourceText(doc: string, marker: string): { path: string; text: string } | { error: string } {
  const [file, region] = marker.split('#') as [string, string | undefined]
  const path = resolve(ROOT, dirname(doc), file)
  const shown = relative(ROOT, path).split(sep).join('/')
  if (!existsSync(path)) return { error: `its marker names ${shown}, which does not exist` }
  const text = readFileSync(path, 'utf8')
  if (region === undefined) return { path, text }
  const lines = text.split('\n')
  const startAt = lines.findIndex((line) => new RegExp(`^\\s*(?://|#)\\s*#region ${region}\\s*$`).test(line))
  if (startAt < 0) {
    return {
      error: `its marker names region "${region}" of ${shown}, which has no \`// #region ${region}\` line`,
    }
  }
  const endAt = lines.findIndex(
    (line, index) => index > startAt && /^\s*(?:\/\/|#)\s*#endregion\b/.test(line),
  )
  if (endAt < 0) return { error: `region "${region}" of ${shown} has no \`// #endregion\` line` }
  const body = lines.slice(startAt + 1, endAt)
  // Blank lines around a region's code are the file's layout, not part of the example.
  while (body.length > 0 && body[0]!.trim() === '') body.shift()
  while (body.length > 0 && body.at(-1)!.trim() === '') body.pop()
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length))
  return { path, text: `${body.map((l) => l.slice(indent)).join('\n')}\n` }
}

/**
 * Every file that some package's `typecheck` script type-checks: the `tsc -p <config>` commands of each
 * workspace package, each config parsed as tsc parses it.
 */
export function typecheckedFiles(root: string = ROOT): Set<string> {
  const files = new Set<string>()
  for (const dir of workspacePackages(root)) {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>
    }
    const script = manifest.scripts?.typecheck ?? ''
    for (const command of script.matchAll(/\btsc\b([^&|;]*)/g)) {
      const config = /(?:-p|--project)\s+(\S+)/.exec(command[1]!)?.[1] ?? 'tsconfig.json'
      const parsed = ts.getParsedCommandLineOfConfigFile(
        resolve(dir, config),
        {},
        {
          ...ts.sys,
          onUnRecoverableConfigFileDiagnostic: () => {},
        },
      )
      for (const name of parsed?.fileNames ?? []) files.add(resolve(name))
    }
  }
  return files
}

function workspacePackages(root: string): string[] {
  const workspace = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  const globs = [...workspace.matchAll(/^\s+-\s+['"]?([^'"\s]+)['"]?\s*$/gm)].map((m) => m[1]!)
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [join(root, glob)]
    const parent = join(root, glob.slice(0, -2))
    return readdirSync(parent, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(parent, entry.name, 'package.json')))
      .map((entry) => join(parent, entry.name))
  })
}
