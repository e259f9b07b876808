import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // Hang guards, not time limits: these checks run real tools (pnpm, npm, tsc, wrangler, verdaccio) that
    // take a minute or two on an idle machine and many times that with every core busy. The rehearsal and
    // the oldest-peers run also bound their children with a deadline of their own, as long as this.
    testTimeout: 15 * 60_000,
    hookTimeout: 45 * 60_000,
    // One file at a time: the rehearsal and the oldest-peers run are both heavy on 2 cores.
    fileParallelism: false,
  },
})
