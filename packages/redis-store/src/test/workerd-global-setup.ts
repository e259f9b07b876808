/** Starts the Redis server that the workerd tests connect to (global setup runs in Node). */
import type { TestProject } from 'vitest/node'
import { startRedisServer } from '../testing.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    redisPort: number
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer()
  project.provide('redisPort', server.port)
  return () => server.stop()
}
