import { defineConfig } from 'tsup';

export default defineConfig({
  // parse-worker.js is loaded with `new Worker(new URL('./parse-worker.js', import.meta.url))`,
  // so it must sit beside index.js in dist/.
  entry: ['src/index.ts', 'src/parse-worker.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
