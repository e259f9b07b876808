import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts'],
  format: 'esm',
  platform: 'neutral',
  dts: true,
  clean: true,
  // Only the Node-only testing entry imports built-ins; the main entry stays runtime-neutral (workerd).
  external: [/^node:/],
})
