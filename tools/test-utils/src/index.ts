/**
 * Test helpers shared by the packages', the app's and the end-to-end tests (consumed as source,
 * never published): temp folders, tracked example fixtures, the shared corpus, build-if-stale.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Creates a fresh temporary directory for one test and returns its path with a
 * cleanup function. Callers register the cleanup with `onTestFinished`.
 */
export async function makeTempDir(prefix = 'refdata-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * The example CSV files of `examples/drop/incoming/`, as tracked test fixtures. Tests read these,
 * never the example folder itself: the README's Quick start moves the examples to `archive/`,
 * and the test suite it runs next must not depend on that. `readme.test.ts` keeps them equal
 * to the examples as committed.
 */
export const EXAMPLE_FIXTURES: string = new URL('../fixtures/examples/', import.meta.url).pathname;

/** Absolute path of the shared public corpus, when it exists on this machine. */
export const SHARED_CORPUS: string = new URL('../../../../shared/corpus/', import.meta.url).pathname;
export { buildStalePackages } from './build.js';
