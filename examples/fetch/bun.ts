// Bun: bun run bun.ts
import { handler } from './handler.ts'

Bun.serve({
  hostname: '127.0.0.1',
  port: Number(Bun.env.PORT ?? 3000),
  fetch: (request, server) => handler(request, { clientAddress: server.requestIP(request)?.address }),
})
