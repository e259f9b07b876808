/**
 * docs/other-frameworks.md's Worker without Hono (examples/worker-fetch), run as written inside workerd
 * (wrangler's `unstable_startWorker`, offline), its Durable Object store included: headless Chromium signs in
 * through the Workfront mock, lists the projects, refreshes once under 10 concurrent API calls, signs out.
 */
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { unstable_startWorker } from 'wrangler'
import { chromiumForFile, walkInChromium } from './chromium.ts'
import { appVariables, setUpWorkfront } from './getting-started.ts'

const chromium = chromiumForFile()
const { closers } = chromium

it('a plain Worker in workerd: signs in, calls the API, refreshes once under 10 concurrent calls, signs out', async () => {
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
    config: fileURLToPath(new URL('../worker-fetch/wrangler.jsonc', import.meta.url)),
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

  const walk = await walkInChromium(chromium.browser(), {
    origin: workfront.publicUrl,
    mock: workfront.mock,
    name: 'worker-fetch',
  })
  expect(walk).toEqual({ concurrentStatuses: Array(10).fill(200), refreshes: 1 })
})
