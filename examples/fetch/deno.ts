// Deno: deno run --allow-net --allow-env --node-modules-dir=manual deno.ts
import { handler } from './handler.ts'

Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT') ?? 3000) }, (request, info) =>
  handler(request, { clientAddress: info.remoteAddr.hostname }),
)
