import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts', 'src/server.ts', 'src/adapters.ts', 'src/testing.ts'],
  format: 'esm',
  platform: 'neutral',
  dts: true,
  clean: true,
})
