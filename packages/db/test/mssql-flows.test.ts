// The SQL Server statement flows (migrate, loads, tracking) against a fake server that keeps tables in memory.
import { describe, expect, it } from 'vitest';
import type { ColumnDef, Database, DbValue, LoadOutcome, LoadSpec } from '../src/index.js';
import { staged } from './helpers.js';
import { openOnFakeServer } from './mssql-fake-server.js';

function open(engine: 'sqlserver' | 'babelfish' = 'sqlserver'): ReturnType<typeof openOnFakeServer> {
  return openOnFakeServer(engine);
}

const cols: ColumnDef[] = [
  { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
  { name: 'rate', type: { kind: 'decimal', precision: 9, scale: 2 }, nullable: true },
];

async function loadRows(db: Database, spec: LoadSpec, rows: DbValue[][]): Promise<LoadOutcome> {
  const s = await db.beginLoad(spec);
  await s.write(staged(rows));
  await s.validate();
  return s.commit();
}

async function readAll(db: Database, table: string): Promise<DbValue[][]> {
  const out: DbValue[][] = [];
  for await (const r of db.readTable(table)) out.push([...r]);
  return out;
}

describe('MssqlDatabase statement flows (fake server)', () => {
  it('migrates once, then reports a healthy schema', async () => {
    const { db, fake } = await open();
    await db.migrate();
    expect(fake.statements.filter((s) => s.sql.startsWith('CREATE TABLE [refdata].[files]'))).toHaveLength(1);
    expect(await db.health()).toMatchObject({ ok: true, dialect: 'mssql', schemaVersion: 3 });
    // The migration lock is taken before anything is created, the schemas included.
    const migrateSql = fake.statements.map((s) => s.sql).filter((sql) => !sql.startsWith('SELECT CAST(SERVERPROPERTY'));
    const lock = migrateSql.findIndex((sql) => sql.includes("@Resource = N'refdata.migrate'"));
    const schemas = migrateSql.findIndex((sql) => sql.startsWith('IF SCHEMA_ID'));
    expect(lock).toBeGreaterThanOrEqual(0);
    expect(lock).toBeLessThan(schemas);
  });

  it('creates a new table by schema transfer on SQL Server, and by CREATE + INSERT on Babelfish', async () => {
    for (const engine of ['sqlserver', 'babelfish'] as const) {
      const { db, server } = await open(engine);
      await loadRows(db, { table: 'cur', columns: cols }, [['EUR', '1.10']]);
      const moves = server.log.filter((l) => /^(transfer|rename|create ref|insert into ref)/.test(l));
      expect(moves.map((l) => l.replace(/stg\.\S+/g, 'stg.T').replace(/ref\.cur\.\S+/g, 'ref.T'))).toEqual(
        engine === 'sqlserver'
          ? ['transfer stg.T -> ref', 'rename ref.T -> cur']
          : ['create ref.cur', 'insert into ref.cur'],
      );
      expect(await readAll(db, 'cur')).toEqual([['EUR', '1.1']]);
    }
  });

  it('replaces in place in one transaction (copy to bkp, delete, refill), catalogues the old rows and drops staging', async () => {
    const { db, server, fake } = await open();
    expect(
      await loadRows(db, { table: 'cur', columns: cols }, [
        ['EUR', '1.10'],
        ['USD', '1.00'],
      ]),
    ).toMatchObject({ status: 'applied', snapshot: null });
    server.log.length = 0;
    const before = fake.events.length;
    const outcome = await loadRows(db, { table: 'cur', columns: cols, sourceFile: 'cur.csv' }, [
      ['EUR', '1.20'],
      ['USD', '1.00'],
      ['JPY', '0.01'],
    ]);
    expect(outcome.status).toBe('applied');
    const snapshot = outcome.status === 'applied' ? (outcome.snapshot?.snapshot as string) : '';
    const typed = /create stg\.(.*\.t)$/.exec(
      server.log.find((l) => l.endsWith('.t') && l.startsWith('create stg.')) ?? '',
    )?.[1] as string;
    const staging = typed.slice(0, -2);
    expect(server.log.slice(server.log.indexOf('lock refdata.table.cur'))).toEqual([
      'lock refdata.table.cur',
      `copy ref.cur -> bkp.${snapshot}`,
      'delete all ref.cur',
      'insert into ref.cur',
      'audit commit ok',
      'load_commits',
      `drop stg.${typed}`,
      `drop stg.${staging}`,
    ]);
    const commitEvents = fake.events
      .slice(before)
      .filter((e) => /^(begin|commit|rollback)/.test(e))
      .map((e) => e.split(' ')[0]);
    // The CONVERT fill of typed staging, the rest of validate, then the swap.
    expect(commitEvents).toEqual(['begin', 'commit', 'begin', 'commit', 'begin', 'commit']);
    expect(await readAll(db, 'cur')).toEqual([
      ['EUR', '1.2'],
      ['USD', '1'],
      ['JPY', '0.01'],
    ]);
    expect(await db.listBackups('cur')).toMatchObject([
      { table: 'cur', snapshot, rows: 2, reason: 'replace', sourceFile: 'cur.csv' },
    ]);
    expect(await db.describeTable('cur')).toEqual({ name: 'cur', columns: cols, rowCount: 3 });
    expect((await db.listTables()).map((t) => t.name)).toEqual(['cur']);
  });

  it('reports values the server cannot convert as conversion errors and loads the rest', async () => {
    const { db, server } = await open();
    server.unconvertible.add('7.77');
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    await session.write(
      staged([
        ['EUR', '1.10'],
        ['XXX', '7.77'],
        ['USD', '1.00'],
      ]),
    );
    const report = await session.validate();
    expect(report.conversionErrors).toEqual([
      {
        line: 3,
        raw: 'XXX,7.77',
        column: 'rate',
        value: '7.77',
        reason: 'the server could not convert "7.77" to decimal(9,2) (TRY_CONVERT failed)',
      },
    ]);
    expect(report.stagedRows).toBe(2);
    await session.commit();
    expect(await readAll(db, 'cur')).toEqual([
      ['EUR', '1.1'],
      ['USD', '1'],
    ]);
  });

  it('removes every row that does not convert in one statement, however many there are', async () => {
    const { db, server, fake } = await open();
    for (const v of ['7.77', '8.88', '9.99']) server.unconvertible.add(v);
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    await session.write(
      staged([
        ['AAA', '7.77'],
        ['BBB', '8.88'],
        ['CCC', '1.00'],
        ['DDD', '9.99'],
      ]),
    );
    const report = await session.validate();
    expect(report.conversionErrors.map((e) => e.line)).toEqual([2, 3, 5]);
    expect(report.stagedRows).toBe(1);
    const deletes = fake.statements.filter((s) => /^DELETE FROM \[stg\]\.\[cur\.[^\]]*\] WHERE \(/.test(s.sql));
    expect(deletes).toHaveLength(1);
  });

  it("reads a table in its dataset's key order, and in the server's order without keys", async () => {
    const { db, fake } = await open();
    await loadRows(db, { table: 'cur', columns: cols }, [
      ['USD', '1.00'],
      ['EUR', '1.10'],
    ]);
    const reads = (): string[] =>
      fake.statements.filter((st) => st.sql.startsWith('SELECT [code] AS [v0]')).map((st) => st.sql);
    await readAll(db, 'cur');
    expect(reads().at(-1)).toMatch(/ FROM \[ref\]\.\[cur\];$/);
    await db.setDataset({ table: 'cur', mode: 'upsert', keyColumns: ['CODE'], typeOverrides: {} });
    await readAll(db, 'cur');
    expect(reads().at(-1)).toMatch(/ FROM \[ref\]\.\[cur\] ORDER BY \[code\];$/);
    // A key the table lacks (renamed upstream) gives no order rather than a failing read.
    await db.setDataset({ table: 'cur', mode: 'upsert', keyColumns: ['iso'], typeOverrides: {} });
    expect(await readAll(db, 'cur')).toHaveLength(2);
    expect(reads().at(-1)).toMatch(/ FROM \[ref\]\.\[cur\];$/);
  });

  it('holds a shrinking replace without touching any table', async () => {
    const { db, server } = await open();
    await loadRows(
      db,
      { table: 'cur', columns: cols },
      Array.from({ length: 10 }, (_, i) => [`C${i}`, '1.00']),
    );
    server.log.length = 0;
    const outcome = await loadRows(db, { table: 'cur', columns: cols }, [['A', '1.00']]);
    expect(outcome).toMatchObject({ status: 'held', liveRows: 10, incomingRows: 1 });
    expect(server.log.filter((l) => /^(rename|transfer|copy|delete|insert)/.test(l))).toEqual([]);
    expect(await readAll(db, 'cur')).toHaveLength(10);
  });

  it('appends and upserts with keys after a delta snapshot (pre-images and keys), without keys after a full copy', async () => {
    const { db, server } = await open();
    await loadRows(db, { table: 'cur', columns: cols }, [['EUR', '1.10']]);
    server.log.length = 0;
    const appended = await loadRows(db, { table: 'cur', columns: cols, mode: 'append', keyColumns: ['code'] }, [
      ['USD', '1.00'],
    ]);
    expect(appended).toMatchObject({
      status: 'applied',
      mode: 'append',
      changes: { added: 1, removed: 0, changed: 0, unchanged: 1 },
      snapshot: { kind: 'delta', rows: 1 },
    });
    const snap = appended.status === 'applied' ? appended.snapshot?.snapshot : undefined;
    expect(server.log.filter((l) => /^(copy|create bkp|pre-images|keys|insert into ref)/.test(l))).toEqual([
      `create bkp.${snap}`,
      `pre-images ref.cur -> bkp.${snap}`,
      `keys stg -> bkp.${snap}`,
      'insert into ref.cur',
    ]);
    expect(server.catalogue.at(-1)).toMatchObject({
      kind: 'delta',
      key_columns: '["code"]',
      columns_before: '["code","rate"]',
      row_count: '1',
      rows_after: '2',
    });
    server.log.length = 0;
    const keyless = await loadRows(db, { table: 'cur', columns: cols, mode: 'append' }, [['CHF', '0.95']]);
    expect(keyless).toMatchObject({ status: 'applied', snapshot: { kind: 'full', rows: 2 } });
    expect(server.log.filter((l) => l.startsWith('copy ref.cur -> bkp.cur.'))).toHaveLength(1);
    const upserted = await loadRows(db, { table: 'cur', columns: cols, mode: 'upsert', keyColumns: ['code'] }, [
      ['USD', '1.05'],
    ]);
    expect(upserted).toMatchObject({
      status: 'applied',
      mode: 'upsert',
      changes: { added: 1, removed: 0, changed: 1, unchanged: 2 }, // 3 live rows, 1 changed
    });
    expect((await db.listBackups('cur')).map((b) => [b.reason, b.kind])).toEqual([
      ['upsert', 'delta'],
      ['append', 'full'],
      ['append', 'delta'],
    ]);
    const wider = [...cols, { name: 'sym', type: { kind: 'text' as const }, nullable: true }];
    await expect(db.beginLoad({ table: 'cur', columns: wider, mode: 'append' })).rejects.toMatchObject({
      code: 'DB_SCHEMA_MISMATCH',
    });
    await loadRows(db, { table: 'cur', columns: wider, mode: 'append', addMissingColumns: true }, [
      ['GBP', '0.90', '£'],
    ]);
    expect((await db.describeTable('cur'))?.columns.map((c) => c.name)).toEqual(['code', 'rate', 'sym']);
    // Back to before the keyed append: reset to the oldest full snapshot after it, then undo its delta.
    server.log.length = 0;
    await db.restoreBackup('cur', snap as string);
    expect(server.log.filter((l) => !l.startsWith('audit') && !l.startsWith('copy ref.cur'))).toEqual([
      'lock refdata.table.cur',
      'drop ref.cur',
      `copy bkp.${(await db.listBackups('cur'))[3]?.snapshot} -> ref.cur`,
      `undo delete ref.cur by bkp.${snap}`,
      `undo insert ref.cur from bkp.${snap}`,
    ]);
    expect(await readAll(db, 'cur')).toEqual([['EUR', '1.1']]);
  });

  it('restores a snapshot (snapshotting the current table first) and prunes old snapshots', async () => {
    const { db, server } = await open();
    for (let v = 1; v <= 4; v++) await loadRows(db, { table: 'cur', columns: cols, force: true }, [[`V${v}`, '1.00']]);
    const backups = await db.listBackups('cur');
    expect(backups).toHaveLength(3);
    const oldest = backups[2]!;
    server.log.length = 0;
    const taken = await db.restoreBackup('cur', oldest.snapshot);
    expect(taken).toMatchObject({ reason: 'restore', rows: 1 });
    expect(server.log.filter((l) => !l.startsWith('audit'))).toEqual([
      'lock refdata.table.cur',
      `copy ref.cur -> bkp.${taken.snapshot}`,
      'delete all ref.cur',
      `refill ref.cur from bkp.${oldest.snapshot}`,
    ]);
    expect(await readAll(db, 'cur')).toEqual([['V1', '1']]);
    await expect(db.restoreBackup('cur', 'nope')).rejects.toMatchObject({ code: 'DB_SNAPSHOT_NOT_FOUND' });
    const dropped = await db.pruneBackups('cur', 2);
    expect(dropped).toHaveLength(2);
    expect(await db.listBackups('cur')).toHaveLength(2);
  });

  it('does not apply a commit twice when the connection fails after the server committed', async () => {
    const { db, server, fake } = await open();
    await loadRows(db, { table: 'cur', columns: cols }, [['EUR', '1.10']]);
    const session = await db.beginLoad({ table: 'cur', columns: cols });
    await session.write(staged([['EUR', '1.20']]));
    await session.validate();
    server.log.length = 0;
    fake.failCommit.next = Object.assign(new Error('Connection lost - read ECONNRESET'), {
      name: 'ConnectionError',
      code: 'ESOCKET',
    });
    const outcome = await session.commit();
    expect(outcome.status).toBe('applied');
    expect(server.log.filter((l) => l.startsWith('copy ref.cur ->'))).toHaveLength(1);
    expect(fake.events).toContain('close 1'); // the failed connection is not reused
    expect(
      fake.statements.filter((s) => s.sql.startsWith('SELECT outcome FROM [refdata].[load_commits]')),
    ).toHaveLength(1);
    expect(outcome.status === 'applied' && outcome.snapshot?.takenAt).toBeInstanceOf(Date);
  });

  it('tracks files, audits, rejects and datasets through parameterised statements', async () => {
    const { db, server } = await open();
    const claim = await db.files.claimNew(
      { path: '/in/a.csv', name: 'a.csv', size: 1 },
      { instanceId: 'i', leaseMs: 1000 },
    );
    expect(claim?.fileId).toBe(1);
    await db.files.update(claim!, { status: 'processing', rowsRead: 3 });
    expect(await db.files.heartbeat(claim!, 1000)).toBe(true);
    await db.files.finish(claim!, { status: 'archived', errorCode: 'X' });
    const other = '6f1c2d3e-0000-4000-8000-000000000001';
    await expect(db.files.finish({ ...claim!, token: other }, { status: 'failed' })).rejects.toMatchObject({
      code: 'DB_CLAIM_LOST',
    });
    expect((await db.files.get(1))?.path).toBe('/in/a.csv');
    expect(await db.files.list({ status: 'claimed', limit: 5 })).toHaveLength(1);
    expect(await db.files.listExpired()).toHaveLength(1);
    expect(await db.files.findBySha256('ab')).toHaveLength(1);
    Object.assign(server.files[0]!, { sha256: 'ab', status: 'archived', target_table: 'cur' });
    expect((await db.files.findLoaded({ sha256: 'ab', table: 'CUR' }))?.id).toBe(1);
    expect(await db.files.findLoaded({ sha256: 'ab', table: 'cur', excludeFileId: 1 })).toBeUndefined();
    server.files[0]!.status = 'claimed';
    expect(await db.files.reclaim(1, { instanceId: 'j', leaseMs: 1000 })).toBeNull();
    expect(await db.files.markReleased(1, '/archive/a.csv')).toBe(false); // not held
    server.files[0]!.status = 'held';
    expect(await db.files.markReleased(1, '/archive/a.csv')).toBe(true);
    expect(server.files[0]).toMatchObject({ status: 'released', path: '/archive/a.csv' });
    await db.recordAudit({ fileId: 1, step: 'detect', outcome: 'ok', details: { a: 1 } });
    expect(await db.listAudit(1)).toMatchObject([{ step: 'detect', outcome: 'ok', details: { a: 1 }, fileId: 1 }]);
    await db.recordRejects(
      1,
      Array.from({ length: 400 }, (_, i) => ({ line: i + 2, raw: 'x', reason: 'bad' })),
    );
    expect(await db.listRejects(1)).toEqual([]);
    await db.setDataset({ table: 'cur', mode: 'upsert', keyColumns: ['code'], typeOverrides: {} });
    await db.setDataset({ table: 'cur', mode: 'replace', keyColumns: [], typeOverrides: {} });
    expect(await db.getDataset('cur')).toEqual({ table: 'cur', mode: 'replace', keyColumns: [], typeOverrides: {} });
    expect(await db.listDatasets()).toHaveLength(1);
  });
});
