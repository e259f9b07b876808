/** The examples' Workers run as written in workerd, for the tests that drive them (Node only). */
import { fileURLToPath } from 'node:url'
import { unstable_startWorker } from 'wrangler'
import { appVariables } from './getting-started.ts'

/**
 * The Worker whose wrangler config is `config` (relative to examples/), run as written in workerd (wrangler's
 * `unstable_startWorker`, offline) on the app's port, with the app's variables as plain-text bindings. Stopped
 * by the returned `close`.
 */
export async function startExampleWorker(
  config: string,
  workfront: { port: number; publicUrl: string; origin: string },
): Promise<{ close(): Promise<void> }> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false'
  process.env.WRANGLER_SEND_METRICS = 'false'
  const bindings = Object.fromEntries(
    Object.entries(appVariables(workfront.publicUrl, workfront.origin)).map(([name, value]) => [
      name,
      { type: 'plain_text' as const, value },
    ]),
  )
  const worker = await unstable_startWorker({
    config: fileURLToPath(new URL(`../${config}`, import.meta.url)),
    bindings,
    dev: {
      server: { hostname: '127.0.0.1', port: workfront.port },
      inspector: false,
      watch: false,
      logLevel: 'warn',
    },
  })
  await worker.ready
  return { close: () => worker.dispose() }
}
