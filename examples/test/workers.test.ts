/**
 * docs/getting-started-workers.md's Worker, run as written: wrangler.jsonc and src/index.ts in workerd
 * (wrangler's `unstable_startWorker`, offline; the Durable Object store included), its vars and secrets as
 * bindings, signing in against the Workfront mock on a loopback port through the mock's real pages.
 */
import { afterAll, it } from 'vitest'
import { startExampleWorker } from './example-worker.ts'
import { setUpWorkfront, walkTheApp } from './getting-started.ts'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

it('signs in with Workfront inside workerd, lists the projects, refreshes once, signs out', async () => {
  const workfront = await setUpWorkfront()
  closers.push(workfront.close)
  const worker = await startExampleWorker('workers/wrangler.jsonc', workfront)
  closers.push(worker.close)

  await walkTheApp(workfront.publicUrl, workfront.mock)
})
