#!/usr/bin/env node
// @ts-check
/**
 * `node scripts/build-progress.mjs <package>`: builds a package and what it depends on through turbo
 * (`turbo run build --filter=<package>...`), printing one line per package as it starts instead of
 * every tool's output, or nothing but a summary when the cache has it all. On failure, turbo's whole
 * output is printed. Used by `pnpm demo` and `pnpm demo:multi`, whose first build takes about a minute.
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import process from 'node:process'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * What a line of turbo's streamed output means for the progress display: a task that starts building, a
 * task served from the cache, or nothing to show.
 * @param {string} line
 * @returns {{ type: 'building' | 'cached', name: string } | null}
 */
export function parseTurboLine(line) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  const plain = line.replace(/\u001b\[[0-9;]*m/g, '')
  const match = /^(\S+):build: cache (hit|miss|bypass)\b/.exec(plain)
  if (!match) return null
  return { type: match[2] === 'hit' ? 'cached' : 'building', name: /** @type {string} */ (match[1]) }
}

/**
 * @param {string} target
 * @returns {Promise<number>} turbo's exit code
 */
export async function buildWithProgress(target) {
  const started = Date.now()
  const building = []
  let cached = 0
  let output = ''
  console.log(`Building ${target} and its packages (the first time takes about a minute)…`)
  const child = spawn(
    join(ROOT, 'node_modules', '.bin', 'turbo'),
    ['run', 'build', `--filter=${target}...`, '--output-logs=new-only', '--log-order=stream'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } },
  )
  let pending = ''
  const onData = (/** @type {Buffer} */ chunk) => {
    const text = chunk.toString()
    output += text
    pending += text
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const event = parseTurboLine(line)
      if (event?.type === 'building') {
        building.push(event.name)
        console.log(`  building ${event.name} …`)
      } else if (event?.type === 'cached') cached++
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const code = await new Promise((resolve) => child.once('close', (status) => resolve(status ?? 1)))
  if (code !== 0) {
    process.stderr.write(output)
    console.error(`The build failed (turbo exited with ${code}); its output is above.`)
    return code
  }
  const seconds = Math.round((Date.now() - started) / 1000)
  const parts = [
    building.length > 0 ? `${building.length} built` : '',
    cached > 0 ? `${cached} from the cache` : '',
  ]
  console.log(`Build done in ${seconds} s (${parts.filter(Boolean).join(', ')}).`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const target = process.argv[2]
  if (!target) {
    console.error('usage: node scripts/build-progress.mjs <package>')
    process.exit(2)
  }
  process.exit(await buildWithProgress(target))
}
