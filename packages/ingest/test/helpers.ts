/**
 * Helpers of @refdata/ingest's facade tests: a real SQLite file and an ingestor over it in a temp
 * folder, CSV writers, table readers and tracking rows as the watcher would claim them.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, DbValue } from '@refdata/db';
import { openDatabase } from '@refdata/db';
import { makeTempDir } from '@refdata/test-utils';
import { onTestFinished } from 'vitest';
import { createIngestor, type Ingestor, type IngestorOptions } from '../src/index.js';

/** A migrated SQLite database file and an ingestor over it, in a temp dir removed after the test. */
export async function setup(
  options: Partial<IngestorOptions> = {},
): Promise<{ db: Database; ingestor: Ingestor; dir: string; dbPath: string }> {
  const { dir, cleanup } = await makeTempDir('refdata-ingest-');
  const dbPath = join(dir, 'refdata.db');
  const db = await openDatabase(`sqlite:${dbPath}`);
  await db.migrate();
  const ingestor = createIngestor({ db, ...options });
  onTestFinished(async () => {
    await ingestor.close();
    await db.close();
    await cleanup();
  });
  return { db, ingestor, dir, dbPath };
}

/** Writes `text` (UTF-8, or the given bytes) to `dir/name` and returns the path. */
export async function csv(dir: string, name: string, text: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

export async function readAll(db: Database, table: string): Promise<DbValue[][]> {
  const out: DbValue[][] = [];
  for await (const row of db.readTable(table)) out.push([...row]);
  return out;
}

/** A tracking row claimed for `path`, as the watcher would create it. */
export async function track(
  db: Database,
  path: string,
  name: string,
): Promise<{ fileId: number; finish: (sha256: string, table: string) => Promise<void> }> {
  const claim = await db.files.claimNew({ path, name, size: 1 }, { instanceId: 'test', leaseMs: 60_000 });
  if (claim === null) throw new Error('claim failed');
  return {
    fileId: claim.fileId,
    finish: (sha256, table) => db.files.finish(claim, { status: 'archived', sha256, targetTable: table }),
  };
}

/** `n` rows of `code,name,amount` starting at line 2. */
export function rows(n: number, from = 1): string {
  let out = '';
  for (let i = from; i < from + n; i++)
    out += `${String(i).padStart(6, '0')},name ${i},${i}.${String(i % 100).padStart(2, '0')}\n`;
  return out;
}
