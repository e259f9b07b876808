// `prepack` of every published package: refuse to pack a package whose build is missing or older than its
// sources, so `pnpm pack` / `pnpm publish` can never ship a tarball without code. Run `pnpm build` first
// (`pnpm release` does).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
const targets = new Set()
const collect = (value) => {
  if (typeof value === 'string') {
    if (value.startsWith('./dist/') || value.startsWith('dist/')) targets.add(value.replace(/^\.\//, ''))
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) collect(v)
  }
}
collect([pkg.exports, pkg.main, pkg.types, pkg.bin])

const newest = (dir) => {
  let latest = { path: '', mtime: 0 }
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || /\.test(-d)?\.ts$/.test(entry.name)) continue
    const path = join(entry.parentPath, entry.name)
    const { mtimeMs } = statSync(path)
    if (mtimeMs > latest.mtime) latest = { path, mtime: mtimeMs }
  }
  return latest
}

const fail = (why) => {
  console.error(
    `\n${pkg.name}: refusing to pack: ${why}.\nRun \`pnpm build\` at the repository root first.\n`,
  )
  process.exit(1)
}

if (targets.size === 0) fail('package.json points at no file under dist/')
for (const target of targets) if (!existsSync(target)) fail(`${target} does not exist (not built)`)
const source = existsSync('src') ? newest('src') : undefined
if (source) {
  for (const target of targets) {
    if (statSync(target).mtimeMs < source.mtime) fail(`${target} is older than ${source.path} (stale build)`)
  }
}
