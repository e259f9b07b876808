#!/usr/bin/env node
/**
 * @module The `workfront` executable: runs the command line with the process's input, output and signals.
 */
import { getEventListeners } from 'node:events'
import { run } from './cli.ts'

const controller = new AbortController()
let interrupted = false
process.on('SIGINT', () => {
  // A command that can stop cleanly (a sign-in waiting) listens to the signal; anything else, and a second
  // Ctrl-C, leaves at once.
  if (interrupted || getEventListeners(controller.signal, 'abort').length === 0) process.exit(130)
  interrupted = true
  controller.abort()
})

// `workfront api … | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(process.exitCode ?? 0)
})

const code = await run(process.argv.slice(2), {
  env: process.env,
  stdout: { write: (text) => void process.stdout.write(text), isTTY: process.stdout.isTTY === true },
  stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY === true },
  async readStdin() {
    const chunks: Buffer[] = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString('utf8')
  },
  signal: controller.signal,
})
// Leave once everything written has been flushed: idle keep-alive connections must not hold the exit.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)))
