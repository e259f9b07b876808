/**
 * Child process: the Workfront mock on a free loopback port, with the bench app registered (rotation on),
 * automatic consent and the admin knobs under `/__mock`. Every storm worker talks to this one process, as
 * the instances of an app talk to one Workfront.
 */
import { serve } from '@hono/node-server'
import { createBenchMock } from './bench-mock.ts'
import { ready, serveParent } from './ipc.ts'

const mock = createBenchMock({ admin: { enabled: true } })

const server = serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => mock.fetch(request) }, (info) =>
  ready({ port: info.port }),
)
// Thousands of keep-alive sockets from the workers: do not let idle ones linger between storms.
server.on('connection', (socket) => socket.setNoDelay(true))

serveParent(
  () => ({ cpu: process.cpuUsage() }),
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
    }),
)
