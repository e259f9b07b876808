// Deno: deno run --allow-net --allow-env --node-modules-dir=manual deno.ts
import { auth } from './auth.ts'
import { fetchHandler } from './handler.ts'

const handler = fetchHandler(auth)
Deno.serve({ hostname: '127.0.0.1', port: Number(Deno.env.get('PORT') ?? 3000) }, (request, info) =>
  handler(request, { clientAddress: info.remoteAddr.hostname }),
)
