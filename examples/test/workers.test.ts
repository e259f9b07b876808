/**
 * docs/getting-started-workers.md's Worker, run as written: wrangler.jsonc and src/index.ts in workerd
 * (wrangler's `unstable_startWorker`, offline; the Durable Object store included), its vars and secrets as
 * bindings, signing in against the Workfront mock on a loopback port through the mock's real pages.
 */
import { fileURLToPath } from 'node:url'
import { afterAll, it } from 'vitest'
import { unstable_startWorker } from 'wrangler'
import { appVariables, setUpWorkfront, walkTheApp } from './getting-started.ts'

const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
})

it('signs in with Workfront inside workerd, lists the projects, refreshes once, signs out', async () => {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  const workfront = await setUpWorkfront()
  closers.push(workfront.close)
  const bindings = Object.fromEntries(
    Object.entries(appVariables(workfront.publicUrl, workfront.origin)).map(([name, value]) => [
      name,
      { type: 'plain_text' as const, value },
    ]),
  )
  const worker = await unstable_startWorker({
    config: fileURLToPath(new URL('../workers/wrangler.jsonc', import.meta.url)),
    bindings,
    dev: {
      server: { hostname: '127.0.0.1', port: workfront.port },
      inspector: false,
      watch: false,
      logLevel: 'warn',
    },
  })
  closers.push(() => worker.dispose())
  await worker.ready

  await walkTheApp(workfront.publicUrl, workfront.mock)
})
