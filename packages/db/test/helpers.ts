/** Helpers of the db tests: a migrated SQLite database in a temp folder, columns, staged rows, loads. */
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { onTestFinished } from 'vitest';
import type { ColumnDef, Database, DbValue, OpenDatabaseOptions, StagedRow } from '../src/index.js';
import { openDatabase } from '../src/index.js';

/** Opens a migrated SQLite database in a fresh temp dir; closed and removed when the test ends. */
export async function openTempSqlite(
  options: OpenDatabaseOptions = {},
): Promise<{ db: Database; path: string; dir: string }> {
  const { dir, cleanup } = await makeTempDir('refdata-db-');
  const path = join(dir, 'refdata.db');
  const db = await openDatabase(`sqlite:${path}`, options);
  onTestFinished(async () => {
    await db.close();
    await cleanup();
  });
  await db.migrate();
  return { db, path, dir };
}

export const text = (name: string, nullable = true): ColumnDef => ({ name, type: { kind: 'text' }, nullable });
export const int = (name: string, nullable = true): ColumnDef => ({ name, type: { kind: 'int' }, nullable });

/** Rows numbered from line 2 (line 1 is the header). */
export function staged(rows: readonly (readonly DbValue[])[], firstLine = 2): StagedRow[] {
  return rows.map((values, i) => ({ line: firstLine + i, values }));
}

export async function readAll(db: Database, table: string): Promise<DbValue[][]> {
  const out: DbValue[][] = [];
  for await (const row of db.readTable(table)) out.push([...row]);
  return out;
}

/** Loads `rows` into `table` with the given columns and options, committing. */
export async function load(
  db: Database,
  table: string,
  columns: readonly ColumnDef[],
  rows: readonly (readonly DbValue[])[],
  extra: Partial<Parameters<Database['beginLoad']>[0]> = {},
): Promise<Awaited<ReturnType<Awaited<ReturnType<Database['beginLoad']>>['commit']>>> {
  const session = await db.beginLoad({ table, columns, ...extra });
  await session.write(staged(rows));
  await session.validate();
  return session.commit();
}
