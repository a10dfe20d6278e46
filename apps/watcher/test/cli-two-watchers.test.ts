/**
 * Issue 5 acceptance 3: two watcher processes on the same folders and database process 200
 * files with no duplicate and no loss. Files append into 20 tables, so a file loaded twice would
 * show up as extra rows, and a lost one as missing rows. On SQLite always; on SQL Server (a fresh
 * database on the live engine) when REFDATA_TEST_MSSQL is set (issue 11: claims exclusive there).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openDatabase } from '@refdata/db';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listNames, openTestDb, originalName, startCli, waitFor, workspace } from './helpers.js';
import { freshMssqlDatabase, MSSQL_URL } from './mssql-helpers.js';

const TABLES = 20;
const FILES_PER_TABLE = 10;
const ROWS = 25;
const ENV = { MONITOR_INTERVAL: '0.2', STABILITY_CHECKS: '2', MONITOR_CONCURRENCY: '2', LOG_LEVEL: 'warn' };

// Babelfish runs each load's DDL (staging, snapshot, swap) as PostgreSQL catalogue changes: slower.
const SETTLE_MS = MSSQL_URL === undefined ? 120_000 : 400_000;

const TARGETS = [
  { dialect: 'sqlite', run: true },
  { dialect: 'mssql', run: MSSQL_URL !== undefined },
] as const;

describe.each(TARGETS)('two watchers on one drop folder and one database ($dialect)', ({ dialect, run }) => {
  it.skipIf(!run)(
    'process 200 files with no duplicate and no loss',
    async () => {
      const ws = await workspace();
      const mssql = dialect === 'mssql' ? await freshMssqlDatabase() : undefined;
      const env = ws.env(mssql === undefined ? ENV : { ...ENV, REFDATA_DB: mssql });
      const datasets: Record<string, unknown> = {};
      for (let t = 1; t <= TABLES; t++) {
        const table = `t${String(t).padStart(2, '0')}`;
        datasets[table] = { files: [`${table}_*.csv`], mode: 'append' };
      }
      await writeFile(join(ws.dir, 'refdata.config.json'), JSON.stringify({ datasets }));

      const names: string[] = [];
      for (let t = 1; t <= TABLES; t++) {
        for (let f = 1; f <= FILES_PER_TABLE; f++) {
          const name = `t${String(t).padStart(2, '0')}_${String(f).padStart(3, '0')}.csv`;
          const lines = ['id,source'];
          for (let r = 1; r <= ROWS; r++) lines.push(`${f * 1000 + r},${name}`);
          await writeFile(join(ws.incoming, name), `${lines.join('\n')}\n`);
          names.push(name);
        }
      }

      const a = startCli(['watch'], { cwd: ws.dir, env, timeoutMs: SETTLE_MS + 30_000 });
      const b = startCli(['watch'], { cwd: ws.dir, env, timeoutMs: SETTLE_MS + 30_000 });
      const isData = (n: string): boolean => !n.endsWith('.error.json') && !n.endsWith('.rejects.csv');
      await waitFor(
        async () =>
          (await listNames(join(ws.root, 'archive'))).filter(isData).length +
            (await listNames(join(ws.root, 'failed'))).filter(isData).length >=
          names.length,
        SETTLE_MS,
        '200 settled files',
      );
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
      expect((await b.exited).code).toBe(0);

      expect(await listNames(join(ws.root, 'failed'))).toEqual([]);
      expect((await listNames(join(ws.root, 'archive'))).filter(isData).map(originalName).sort()).toEqual(names.sort());
      expect(await listNames(join(ws.root, 'processing'))).toEqual([]);

      const db = mssql === undefined ? await openTestDb(ws) : await openDatabase(mssql);
      if (mssql !== undefined) onTestFinished(() => db.close());
      const tracked = await db.files.list({ limit: 1000 });
      const archived = tracked.filter((f) => f.status === 'archived');
      expect(archived).toHaveLength(names.length);
      expect(new Set(archived.map((f) => f.name)).size).toBe(names.length);
      const instances = new Set(archived.map((f) => f.instanceId));
      expect(instances.size, 'both watchers took part').toBe(2);

      for (let t = 1; t <= TABLES; t++) {
        const table = `t${String(t).padStart(2, '0')}`;
        const ids: string[] = [];
        for await (const row of db.readTable(table)) ids.push(String(row[0]));
        expect(ids, `rows of ref.${table}`).toHaveLength(FILES_PER_TABLE * ROWS);
        expect(new Set(ids).size, `distinct ids of ref.${table}`).toBe(FILES_PER_TABLE * ROWS);
      }
    },
    SETTLE_MS + 60_000,
  );
});
