import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkg = (name: string): string => fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url));

/**
 * Settings every project shares; vitest 4 projects inherit nothing from the root.
 * Sibling packages resolve to their sources, so tests never depend on a stale build.
 */
export default defineConfig({
  resolve: {
    alias: {
      '@refdata/detect': pkg('detect'),
      '@refdata/db': pkg('db'),
      '@refdata/ingest': pkg('ingest'),
      '@refdata/monitor': pkg('monitor'),
    },
  },
  test: {
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
