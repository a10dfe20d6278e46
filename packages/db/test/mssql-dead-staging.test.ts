// Live on the engine in REFDATA_TEST_MSSQL: the staging of a load whose process was SIGKILLed is
// dropped by the next migrate() at once (its session lock died with its connection), while the
// staging of a load still running in another process survives and that load commits.
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildTediousConfig, loadTedious } from '../src/dialect/mssql/tedious-like.js';
import { type ColumnDef, openDatabase } from '../src/index.js';
import { noopLogger } from '../src/logger.js';
import { type MssqlUrl, parseDatabaseUrl } from '../src/url.js';
import { uniqueTable } from './conformance/targets.js';
import { staged } from './helpers.js';
import { bundlePackage, startChild } from './process-helpers.js';

const url = process.env.REFDATA_TEST_MSSQL;
const cols: ColumnDef[] = [
  { name: 'code', type: { kind: 'text', maxLength: 10 }, nullable: false },
  { name: 'n', type: { kind: 'int' }, nullable: true },
];

/** The staging tables on the server (its own connection), by name. */
async function stagingTables(): Promise<string[]> {
  const tedious = await loadTedious();
  const password = process.env.REFDATA_TEST_MSSQL_PASSWORD;
  const conn = new tedious.Connection(
    buildTediousConfig(
      parseDatabaseUrl(url as string) as MssqlUrl,
      password === undefined ? {} : { password },
      noopLogger,
    ),
  );
  conn.on('error', () => {});
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  try {
    return await new Promise((resolve, reject) => {
      const names: string[] = [];
      const request = new tedious.Request(
        "SELECT t.name FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(N'stg');",
        (err) => (err ? reject(err) : resolve(names)),
      );
      request.on('row', (columns) => names.push(String(columns[0]?.value)));
      conn.execSql(request);
    });
  } finally {
    conn.close();
  }
}

let cleanup: (() => void) | undefined;
afterAll(() => cleanup?.());

describe.skipIf(url === undefined)('staging left by a killed load (live SQL Server)', () => {
  it('the next migrate() drops a SIGKILLed load’s staging and keeps a running load’s', async () => {
    const bundle = await bundlePackage();
    cleanup = bundle.cleanup;
    const dead = uniqueTable('dead');
    const alive = uniqueTable('alive');
    // A load running in this process (another "watcher" on the same database) all along.
    const running = await openDatabase(url as string);
    onTestFinished(() => running.close());
    await running.migrate();
    const load = await running.beginLoad({ table: alive, columns: cols });
    await load.write(staged([['A', 1]]));
    await load.write(staged([['B', 2]], 3));

    const child = startChild('mssql-stage-and-wait.mjs', bundle.file, [url as string, dead, '3000']);
    await child.waitFor('staged');
    const next = await openDatabase(url as string);
    onTestFinished(() => next.close());
    const stagingOf = async (table: string): Promise<string[]> =>
      (await stagingTables()).filter((name) => name.startsWith(`${table}.`));
    expect(await stagingOf(dead)).toHaveLength(1);
    // Alive: migrate() leaves the child's staging alone.
    await next.migrate();
    expect(await stagingOf(dead)).toHaveLength(1);

    child.proc.kill('SIGKILL');
    expect((await child.exit).signal).toBe('SIGKILL');
    // The server ends the killed process's session when it reads the closed socket: a moment.
    for (let i = 0; i < 50 && (await stagingOf(dead)).length > 0; i++) {
      await next.migrate();
      if ((await stagingOf(dead)).length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(await stagingOf(dead)).toEqual([]);
    expect(await stagingOf(alive)).toHaveLength(1);
    // The running load was not disturbed.
    await load.write(staged([['C', 3]], 4));
    expect(await load.commit()).toMatchObject({ status: 'applied', rowsLoaded: 3 });
    expect(await stagingOf(alive)).toEqual([]);
  }, 60_000);
});
