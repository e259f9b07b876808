/** Starts the redis-server that the Worker under test connects to (global setup runs in Node). */
import { startRedisServer } from '@workfront-oauth/redis-store/testing'
import type { TestProject } from 'vitest/node'

import './provided-context.ts'

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startRedisServer()
  project.provide('redisUrl', server.url)
  return () => server.stop()
}
