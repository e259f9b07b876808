import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ['src/index.ts', 'src/testing.ts', 'src/node.ts'],
  format: 'esm',
  // index.ts is Web-standard only; node.ts (the bin) alone imports node: built-ins.
  platform: 'neutral',
  deps: { neverBundle: [/^node:/] },
  dts: true,
  clean: true,
})
