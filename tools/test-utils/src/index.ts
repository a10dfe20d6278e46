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

/** Absolute path of the shared public corpus, when it exists on this machine. */
export const SHARED_CORPUS: string = new URL('../../../../shared/corpus/', import.meta.url).pathname;
export { buildStalePackages } from './build.js';
