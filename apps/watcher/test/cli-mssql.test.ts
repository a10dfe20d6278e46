/**
 * The whole app on SQL Server, through the built CLI, against the live engine in
 * REFDATA_TEST_MSSQL (Babelfish in CI): the watcher archives the examples, `export` writes the
 * same bytes as the same files loaded into SQLite, and files/show/backups/restore/health work.
 */
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, listNames, runCli, workspace } from './helpers.js';
import { freshMssqlDatabase, MSSQL_URL } from './mssql-helpers.js';

describe.skipIf(MSSQL_URL === undefined)('the app on SQL Server (live engine)', () => {
  it('watches, archives, exports byte-identical CSV to SQLite, and lists, shows, backs up and restores', async () => {
    const mssql = await freshMssqlDatabase();
    const ms = await workspace();
    const lite = await workspace();
    const examples = (await readdir(EXAMPLES)).filter((n) => n.endsWith('.csv')).sort();
    for (const ws of [ms, lite]) for (const n of examples) await copyFile(join(EXAMPLES, n), join(ws.incoming, n));
    const msEnv = (extra: Record<string, string> = {}) => ms.env({ REFDATA_DB: mssql, LOG_LEVEL: 'warn', ...extra });

    const watched = await runCli(['watch', '--once'], { cwd: ms.dir, env: msEnv() });
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toContain(`Processed ${examples.length} files: ${examples.length} archived`);
    expect((await listNames(join(ms.root, 'archive'))).length).toBe(examples.length);
    expect((await runCli(['watch', '--once'], { cwd: lite.dir, env: lite.env({ LOG_LEVEL: 'warn' }) })).code).toBe(0);

    for (const table of ['countries', 'currencies', 'languages', 'units_of_measure']) {
      const fromMssql = await runCli(['export', table], { cwd: ms.dir, env: msEnv() });
      const fromSqlite = await runCli(['export', table], { cwd: lite.dir, env: lite.env() });
      expect(fromMssql.code, fromMssql.stderr).toBe(0);
      expect(fromMssql.stdout.length).toBeGreaterThan(0);
      expect(fromMssql.stdout, `export of ${table}`).toBe(fromSqlite.stdout);
    }

    const files = JSON.parse((await runCli(['files', '--json'], { cwd: ms.dir, env: msEnv() })).stdout) as {
      id: number;
      status: string;
    }[];
    expect(files.map((f) => f.status)).toEqual(examples.map(() => 'archived'));
    const shown = await runCli(['show', String(files[0]!.id)], { cwd: ms.dir, env: msEnv() });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/commit/);

    // A second version of currencies replaces the table; restore brings the first one back.
    const before = (await runCli(['export', 'currencies'], { cwd: ms.dir, env: msEnv() })).stdout;
    const lines = before.trimEnd().split('\n');
    const v2 = join(ms.dir, 'currencies.csv');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(v2, `${[...lines.slice(0, -1), lines.at(-1)!.replace(/^[^,]*/, 'ZZZ')].join('\n')}\n`);
    const ingested = await runCli(['ingest', v2], { cwd: ms.dir, env: msEnv() });
    expect(ingested.code, ingested.stderr).toBe(0);
    expect((await runCli(['export', 'currencies'], { cwd: ms.dir, env: msEnv() })).stdout).not.toBe(before);
    const backups = JSON.parse(
      (await runCli(['backups', 'currencies', '--json'], { cwd: ms.dir, env: msEnv() })).stdout,
    ) as {
      snapshot: string;
    }[];
    expect(backups).toHaveLength(1);
    const restored = await runCli(['restore', 'currencies', backups[0]!.snapshot], { cwd: ms.dir, env: msEnv() });
    expect(restored.code, restored.stderr).toBe(0);
    expect((await runCli(['export', 'currencies'], { cwd: ms.dir, env: msEnv() })).stdout).toBe(before);

    const health = await runCli(['health', '--json'], { cwd: ms.dir, env: msEnv() });
    expect(health.code, health.stdout).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ ok: true });
  });
});
