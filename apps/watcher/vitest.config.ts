import { defineProject, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

export default mergeConfig(
  shared,
  defineProject({
    test: {
      // The CLI tests spawn the built app: build what is stale first.
      globalSetup: ['test/global-setup.ts'],
      testTimeout: 120_000,
    },
  }),
);
