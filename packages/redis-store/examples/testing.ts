import { startRedisCluster, startRedisServer } from '@workfront-oauth/redis-store/testing'

const server = await startRedisServer() // { host, port, url, pid, stop(), start(), restart(), pause(), resume() }
const cluster = await startRedisCluster({ masters: 3 }) // { nodes, startupNodes, ports, stop() }

await cluster.stop()
await server.stop()
