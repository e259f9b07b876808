// `prepack` of every published package: refuse to pack a package whose build is missing, so `pnpm pack` and
// `pnpm publish` can never ship a tarball without code. `pnpm release` builds first.
import { existsSync, readFileSync } from 'node:fs'

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

const fail = (why) => {
  console.error(
    `\n${pkg.name}: refusing to pack: ${why}.\nRun \`pnpm build\` at the repository root first.\n`,
  )
  process.exit(1)
}

if (targets.size === 0) fail('package.json points at no file under dist/')
for (const target of targets) if (!existsSync(target)) fail(`${target} does not exist (not built)`)
