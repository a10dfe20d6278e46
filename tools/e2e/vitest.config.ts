import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      // The tests spawn the built CLI: build what is stale first.
      globalSetup: ['src/global-setup.ts'],
      testTimeout: 240_000,
      hookTimeout: 120_000,
      // Each file runs real watcher processes; one file at a time keeps timings sane on 2 cores.
      fileParallelism: false,
    },
  }),
);
