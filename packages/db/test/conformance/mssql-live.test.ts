// What operators rely on in SQL Server beyond the shared contract, live on the engine in
// REFDATA_TEST_MSSQL: a replace or restore keeps the live table's GRANTs, primary key and indexes.
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { buildTediousConfig, loadTedious } from '../../src/dialect/mssql/tedious-like.js';
import type { ColumnDef, Database, DbValue } from '../../src/index.js';
import { noopLogger } from '../../src/logger.js';
import { type MssqlUrl, parseDatabaseUrl } from '../../src/url.js';
import { staged } from '../helpers.js';
import { closeSharedTargets, TARGETS, uniqueTable } from './targets.js';

afterAll(closeSharedTargets);

const url = process.env.REFDATA_TEST_MSSQL;

/** Runs one T-SQL batch on its own connection and returns its rows. */
async function sql(batch: string): Promise<Record<string, unknown>[]> {
  const tedious = await loadTedious();
  const password = process.env.REFDATA_TEST_MSSQL_PASSWORD;
  const config = buildTediousConfig(
    parseDatabaseUrl(url as string) as MssqlUrl,
    password === undefined ? {} : { password },
    noopLogger,
  );
  const conn = new tedious.Connection(config);
  conn.on('error', () => {});
  await new Promise<void>((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve())));
  try {
    return await new Promise((resolve, reject) => {
      const rows: Record<string, unknown>[] = [];
      const request = new tedious.Request(batch, (err) => (err ? reject(err) : resolve(rows)));
      request.on('row', (columns) => rows.push(Object.fromEntries(columns.map((c) => [c.metadata.colName, c.value]))));
      conn.execSqlBatch(request);
    });
  } finally {
    conn.close();
  }
}

const cols: ColumnDef[] = [
  { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
  { name: 'name', type: { kind: 'text', maxLength: 50 }, nullable: true },
];

async function load(db: Database, table: string, rows: DbValue[][], columns = cols): Promise<void> {
  const session = await db.beginLoad({ table, columns, force: true });
  await session.write(staged(rows));
  await session.commit();
}

/** The indexes of ref.<table> (names as the engine reports them, without Babelfish's hash suffix) and SELECT grantees. */
async function kept(table: string, role: string): Promise<{ indexes: string[]; grantees: string[] }> {
  const indexes = await sql(
    `SELECT i.name AS name, i.is_primary_key AS pk FROM sys.indexes AS i WHERE i.object_id = OBJECT_ID(N'[ref].[${table}]') AND i.name IS NOT NULL ORDER BY i.name;`,
  );
  const privileges = await sql(`EXEC sp_table_privileges @table_name = N'${table}', @table_owner = N'ref';`);
  return {
    indexes: indexes.map((r) => (r.pk ? 'PK' : String(r.name).slice(0, `ix_${table}`.length))).sort(),
    grantees: privileges.filter((p) => p.PRIVILEGE === 'SELECT' && p.GRANTEE === role).map((p) => String(p.GRANTEE)),
  };
}

describe.skipIf(url === undefined || url === '')('SQL Server live: what a replace and a restore keep', () => {
  it('keeps GRANTs, the primary key and indexes of the live table through replace and restore', async () => {
    const db = await TARGETS.mssql.open();
    const table = uniqueTable('kept');
    const role = `r_${table}`;
    await load(db, table, [
      ['EUR', 'Euro'],
      ['USD', 'Dollar'],
    ]);
    await sql(
      `ALTER TABLE [ref].[${table}] ADD CONSTRAINT [pk_${table}] PRIMARY KEY ([code]); CREATE INDEX [ix_${table}] ON [ref].[${table}] ([name]); CREATE ROLE [${role}]; GRANT SELECT ON [ref].[${table}] TO [${role}];`,
    );
    onTestFinished(async () => {
      await sql(`DROP TABLE IF EXISTS [ref].[${table}]; DROP ROLE [${role}];`);
    });
    const before = await kept(table, role);
    expect(before).toEqual({ indexes: ['PK', `ix_${table}`], grantees: [role] });

    await load(db, table, [
      ['EUR', 'Euro'],
      ['USD', 'US Dollar'],
      ['JPY', 'Yen'],
    ]);
    expect(await kept(table, role)).toEqual(before);

    const [old] = await db.listBackups(table);
    await db.restoreBackup(table, old!.snapshot);
    expect(await kept(table, role)).toEqual(before);
    const rows: DbValue[][] = [];
    for await (const r of db.readTable(table)) rows.push([...r]);
    expect(rows.map((r) => r[0]).sort()).toEqual(['EUR', 'USD']);
  });
});

describe.skipIf(url === undefined || url === '')('SQL Server live: 7 fraction digits of a second', () => {
  it('keeps 7 digits on SQL Server; on Babelfish (6 digits) rejects a value it would round, with its line', async () => {
    const db = await TARGETS.mssql.open();
    const table = uniqueTable('frac7');
    const [engine] = await sql("SELECT CAST(SERVERPROPERTY('Babelfish') AS int) AS b;");
    const babelfish = Number(engine?.b) === 1;
    const columns: ColumnDef[] = [
      { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
      { name: 'at', type: { kind: 'time', fractionDigits: 7 }, nullable: true },
      { name: 'ts', type: { kind: 'datetime', offset: true, fractionDigits: 7 }, nullable: true },
    ];
    const rows: DbValue[][] = [
      ['AAA', '12:00:00.1234560', '2024-03-31T02:30:00.1234560+09:00'],
      ['BBB', '12:00:00.1234567', '2024-03-31T02:30:00.0000000Z'],
      ['CCC', '00:00:00.0000000', '2024-03-31T02:30:00.0000001-05:00'],
    ];
    const session = await db.beginLoad({ table, columns, force: true });
    await session.write(staged(rows));
    const report = await session.validate();
    const outcome = await session.commit();
    const read: DbValue[][] = [];
    for await (const r of db.readTable(table)) read.push([...r]);
    if (!babelfish) {
      expect(outcome).toMatchObject({ status: 'applied', rowsLoaded: 3 });
      expect(read.sort()).toEqual(rows);
      return;
    }
    expect(outcome).toMatchObject({ status: 'applied', rowsLoaded: 1 });
    // The engine declares the columns with 6 digits (sys.columns says so) and reads them so.
    expect(read).toEqual([['AAA', '12:00:00.123456', '2024-03-31T02:30:00.123456+09:00']]);
    const again = await db.beginLoad({ table, columns });
    await again.write(staged([rows[0] as DbValue[]]));
    expect(await again.commit()).toMatchObject({ status: 'applied', rowsLoaded: 1 });
    expect(report.conversionErrors.map((e) => [e.line, e.column])).toEqual([
      [3, 'at'],
      [4, 'ts'],
    ]);
    expect(report.conversionErrors[0]?.reason).toMatch(/"12:00:00.1234567" has 7 fraction digits.*Babelfish keeps 6/);
  });
});
