// A second process on the same file store, for src/file-store.test.ts. Runs the built package (dist/).
import { fileStore } from '../../dist/index.js'

const [command, dir, name] = process.argv.slice(2)
const store = fileStore({ dir })

if (command === 'race') {
  const [locked, took] = await Promise.all([
    store.acquireLock('grant:race', { owner: name, leaseMs: 60_000 }),
    store.take('tx:race'),
  ])
  process.stdout.write(JSON.stringify({ locked, took }))
} else if (command === 'hold') {
  if (!(await store.acquireLock('grant:kill', { owner: 'holder', leaseMs: 60_000 }))) process.exit(3)
  const result = await store.compareAndSet('grant:kill', 'written by the holder', { expectedVersion: 1 })
  if (!result.ok) process.exit(4)
  process.send?.('holding')
  // Holds the lock until killed; the IPC channel keeps the process alive.
} else {
  process.exit(2)
}
