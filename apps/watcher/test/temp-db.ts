/** A migrated SQLite database in a temp folder, closed and removed when the current test ends. */
import { join } from 'node:path';
import { type Database, openDatabase } from '@refdata/db';
import { makeTempDir } from '@refdata/test-utils';
import { onTestFinished } from 'vitest';

export async function tempDb(prefix = 'refdata-app-db-'): Promise<{ db: Database; dir: string }> {
  const { dir, cleanup } = await makeTempDir(prefix);
  const db = await openDatabase(`sqlite:${join(dir, 'db.sqlite')}`);
  await db.migrate();
  onTestFinished(async () => {
    await db.close();
    await cleanup();
  });
  return { db, dir };
}
