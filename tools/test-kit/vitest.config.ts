import { defineConfig } from 'vitest/config'
import { HANG_GUARD } from './src/hang-guard.js'

export default defineConfig({
  test: { include: ['src/**/*.test.ts'], ...HANG_GUARD },
})
