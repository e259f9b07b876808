// Node: the fetch handler served by @hono/node-server (a Request/Response server; no Hono app here).
import { serve } from '@hono/node-server'
import { handler } from './handler.ts'

export const server = serve({
  fetch: (request, { incoming }) => handler(request, { clientAddress: incoming.socket.remoteAddress }),
  hostname: '127.0.0.1',
  port: Number(process.env.PORT ?? 3000),
})
