import { defineConfig } from 'tsdown'

// The Node entries (the Worker is bundled by wrangler): dependencies stay external, resolved from
// node_modules at run time.
export default defineConfig({
  entry: { node: 'src/node.ts', demo: 'src/demo.ts', multi: 'src/multi.ts' },
  outDir: 'dist/node',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  dts: false,
  clean: true,
})
