#!/usr/bin/env node
/**
 * @module The `workfront` executable: runs the command line with the process's input, output and signals.
 */
import { run } from './cli.ts'

const controller = new AbortController()
let interrupted = false
process.on('SIGINT', () => {
  // A second Ctrl-C leaves at once.
  if (interrupted) process.exit(130)
  interrupted = true
  controller.abort()
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
