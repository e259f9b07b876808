/**
 * docs/other-frameworks.md's Worker without Hono (examples/worker-fetch), run as written inside workerd
 * (wrangler's `unstable_startWorker`, offline), its Durable Object store included: headless Chromium signs in
 * through the Workfront mock, lists the projects, refreshes once under 10 concurrent API calls, signs out.
 */
import { expect, it } from 'vitest'
import { chromiumForFile, walkInChromium } from './chromium.ts'
import { startExampleWorker } from './example-worker.ts'
import { setUpWorkfront } from './getting-started.ts'

const chromium = chromiumForFile()
const { closers } = chromium

it('a plain Worker in workerd: signs in, calls the API, refreshes once under 10 concurrent calls, signs out', async () => {
  const workfront = await setUpWorkfront()
  closers.push(workfront.close)
  const worker = await startExampleWorker('worker-fetch/wrangler.jsonc', workfront)
  closers.push(worker.close)

  const walk = await walkInChromium(chromium.browser(), {
    origin: workfront.publicUrl,
    mock: workfront.mock,
    name: 'worker-fetch',
  })
  expect(walk).toEqual({ concurrentStatuses: Array(10).fill(200), refreshes: 1 })
})
