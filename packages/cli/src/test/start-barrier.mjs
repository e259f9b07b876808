// A preload for src/token.storm.test.ts (`NODE_OPTIONS=--import <this file>`): the `workfront` process loads
// its modules, says it is ready (a file `ready.<pid>` in $WORKFRONT_TEST_BARRIER), and waits for the test's
// `go` file before the command runs. Every process of a storm then starts its command at the same moment,
// however long the machine took to start each one: the race for the refresh does not depend on the load,
// and nothing has to be held back (a held answer could outlast a client's deadline on a loaded machine).
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.env.WORKFRONT_TEST_BARRIER
if (dir) {
  // What the command needs first, loaded before the start line (the CLI's own modules load right after).
  await import('@workfront-oauth/core')
  writeFileSync(join(dir, `ready.${process.pid}`), '')
  while (!existsSync(join(dir, 'go'))) await new Promise((resolve) => setTimeout(resolve, 20))
}
