// The SQLite dialect on real files: loads, reads, audit, rejects, tracking, concurrency, close.
import BetterSqlite3 from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SQLITE_SCHEMA_VERSION } from '../src/dialect/sqlite/sqlite-database.js';
import type { ColumnDef } from '../src/index.js';
import { int, load, openTempSqlite, readAll, staged, text } from './helpers.js';

const currencies: ColumnDef[] = [text('code', false), text('name'), int('numeric')];

describe('SqliteDatabase', () => {
  it('migrates an empty database and re-runs the migration without change', async () => {
    const { db } = await openTempSqlite();
    await db.migrate();
    await db.migrate();
    const health = await db.health();
    expect(health).toMatchObject({ ok: true, dialect: 'sqlite', schemaVersion: SQLITE_SCHEMA_VERSION });
  });

  it('creates a table from the first load and reads it back in line order', async () => {
    const { db } = await openTempSqlite();
    const outcome = await load(db, 'currencies', currencies, [
      ['EUR', 'Euro', 978],
      ['ALL', 'Lek', 8],
      ['AUD', null, 36],
    ]);
    expect(outcome).toMatchObject({
      status: 'applied',
      table: 'currencies',
      mode: 'replace',
      rowsLoaded: 3,
      snapshot: null,
    });
    expect(await readAll(db, 'currencies')).toEqual([
      ['EUR', 'Euro', 978],
      ['ALL', 'Lek', 8],
      ['AUD', null, 36],
    ]);
    expect(await db.describeTable('currencies')).toEqual({ name: 'currencies', columns: currencies, rowCount: 3 });
    expect((await db.listTables()).map((t) => t.name)).toEqual(['currencies']);
  });

  it('replaces the live table and keeps the previous contents as a catalogued snapshot', async () => {
    const { db } = await openTempSqlite();
    await load(db, 'currencies', currencies, [
      ['EUR', 'Euro', 978],
      ['USD', 'Dollar', 840],
    ]);
    const second = await load(db, 'currencies', currencies, [
      ['EUR', 'Euro', 978],
      ['USD', 'US Dollar', 840],
      ['JPY', 'Yen', 392],
    ]);
    expect(second.status).toBe('applied');
    if (second.status !== 'applied') return;
    expect(second.snapshot).toMatchObject({ table: 'currencies', rows: 2, reason: 'replace' });
    const backups = await db.listBackups('currencies');
    expect(backups).toHaveLength(1);
    expect(backups[0]?.snapshot).toBe(second.snapshot?.snapshot);
    expect(await readAll(db, 'currencies')).toHaveLength(3);
  });

  it('writeRows stages flat rows exactly as write does: values, lines, misfits set aside, bad shapes refused', async () => {
    const { db } = await openTempSqlite();
    const columns: ColumnDef[] = [text('code', false), { name: 'day', type: { kind: 'date' }, nullable: true }];
    const session = await db.beginLoad({ table: 'flat', columns, mode: 'replace' });
    expect(session.writeRows).toBeTypeOf('function');
    await session.writeRows?.({
      lines: Int32Array.from([2, 3, 4, 5]),
      values: ['EUR', '2024-02-29', 'GBP', null, 'BAD', '2023-02-29', 'JPY', '2025-01-01'],
    });
    await session.writeRows?.({ lines: [], values: [] });
    await expect(session.writeRows?.({ lines: [6], values: ['X'] })).rejects.toMatchObject({
      code: 'DB_VALUE_INVALID',
    });
    await expect(session.writeRows?.({ lines: [6.5], values: ['X', null] })).rejects.toMatchObject({
      code: 'DB_VALUE_INVALID',
    });
    await expect(session.write([{ line: 7, values: ['X'] }])).rejects.toMatchObject({ code: 'DB_VALUE_INVALID' });
    const report = await session.validate();
    expect(report.stagedRows).toBe(3);
    expect(report.conversionErrors).toEqual([
      expect.objectContaining({ line: 4, column: 'day', value: '2023-02-29', raw: 'BAD,2023-02-29' }),
    ]);
    await session.commit();
    expect(await readAll(db, 'flat')).toEqual([
      ['EUR', '2024-02-29'],
      ['GBP', null],
      ['JPY', '2025-01-01'],
    ]);
  });

  it('leaves the live table untouched when a load is aborted', async () => {
    const { db } = await openTempSqlite();
    await load(db, 'currencies', currencies, [['EUR', 'Euro', 978]]);
    const session = await db.beginLoad({ table: 'currencies', columns: currencies });
    await session.write(staged([['XXX', 'bad', 0]]));
    await session.abort();
    await session.abort();
    expect(await readAll(db, 'currencies')).toEqual([['EUR', 'Euro', 978]]);
    await expect(session.write(staged([['A', 'b', 1]]))).rejects.toMatchObject({ code: 'DB_SESSION_CLOSED' });
  });

  it('loads 1,999 columns (one more for the line number) and refuses more with DB_OPTION_INVALID before creating anything', async () => {
    const { db } = await openTempSqlite();
    const columns = (n: number): ColumnDef[] => Array.from({ length: n }, (_, i) => text(`c${i}`));
    const row = (n: number, k: number): string[] => Array.from({ length: n }, (_, i) => `${i * k}`);
    expect(await load(db, 'wide', columns(1999), [row(1999, 1), row(1999, 2)])).toMatchObject({ rowsLoaded: 2 });
    expect((await readAll(db, 'wide'))[1]?.[1998]).toBe('3996');
    // A second version replaces it, snapshot included.
    expect(await load(db, 'wide', columns(1999), [row(1999, 3)])).toMatchObject({ status: 'applied', rowsLoaded: 1 });
    expect(await db.listBackups('wide')).toHaveLength(1);
    await expect(db.beginLoad({ table: 'wider', columns: columns(20_000) })).rejects.toMatchObject({
      code: 'DB_OPTION_INVALID',
      message: expect.stringContaining('wider has 20000 columns; SQLite tables hold at most 1999 data columns'),
    });
    expect((await db.listTables()).map((t) => t.name)).toEqual(['wide']);
  });

  it('drops a staging table whose drop failed (database locked, disk full) at the next load, without a restart', async () => {
    const { db, path } = await openTempSqlite({ busyTimeoutMs: 100, maxRetries: 0 });
    const session = await db.beginLoad({ table: 'currencies', columns: currencies });
    await session.write(staged([['EUR', 'Euro', 978]]));
    const other = new BetterSqlite3(path);
    const stagingTables = (): string[] =>
      other.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'stg.%' ORDER BY name").pluck().all() as string[];
    try {
      other.exec('BEGIN IMMEDIATE');
      await session.abort(); // cannot drop while another connection writes
      other.exec('COMMIT');
      expect(stagingTables()).toHaveLength(1);
      await load(db, 'units', [text('code')], [['m']]);
      expect(stagingTables()).toEqual([]);
    } finally {
      other.close();
    }
  });

  it('reports a missing table as DB_TABLE_NOT_FOUND when read', async () => {
    const { db } = await openTempSqlite();
    await expect(readAll(db, 'nope')).rejects.toMatchObject({ code: 'DB_TABLE_NOT_FOUND' });
    expect(await db.describeTable('nope')).toBeUndefined();
  });

  it('compares an incoming column set with the live table ignoring case', async () => {
    const { db } = await openTempSqlite();
    expect(await db.compareColumns('currencies', currencies)).toMatchObject({ tableExists: false, identical: false });
    await load(db, 'currencies', currencies, [['EUR', 'Euro', 978]]);
    expect(await db.compareColumns('currencies', [text('CODE', false), text('name'), int('numeric')])).toMatchObject({
      tableExists: true,
      identical: true,
    });
    const cmp = await db.compareColumns('currencies', [text('code', false), int('name'), text('minor')]);
    expect(cmp.added.map((c) => c.name)).toEqual(['minor']);
    expect(cmp.missing.map((c) => c.name)).toEqual(['numeric']);
    expect(cmp.changed).toEqual([{ name: 'name', from: { kind: 'text' }, to: { kind: 'int' } }]);
    expect(cmp.identical).toBe(false);
  });
});

describe('SqliteDatabase audit and rejects', () => {
  it('records audit events per file in order, with details as JSON', async () => {
    const { db } = await openTempSqlite();
    await db.recordAudit({
      fileId: 7,
      step: 'detect',
      outcome: 'ok',
      durationMs: 12.5,
      details: { delimiter: ',', n: 3n },
    });
    await db.recordAudit({ fileId: 7, step: 'stage', outcome: 'error' });
    await db.recordAudit({ fileId: 8, step: 'detect', outcome: 'ok' });
    const events = await db.listAudit(7);
    expect(events.map((e) => [e.step, e.outcome])).toEqual([
      ['detect', 'ok'],
      ['stage', 'error'],
    ]);
    expect(events[0]).toMatchObject({ fileId: 7, durationMs: 12.5, details: { delimiter: ',', n: '3' } });
    expect(events[0]?.at).toBeInstanceOf(Date);
    await expect(db.recordAudit({ step: 'detect', outcome: 'bogus' as 'ok' })).rejects.toMatchObject({
      code: 'DB_OPTION_INVALID',
    });
    await expect(db.recordAudit({ step: 'snapshot' as 'detect', outcome: 'ok' })).rejects.toMatchObject({
      code: 'DB_OPTION_INVALID',
      message: expect.stringContaining('Audit step "snapshot" is unknown; record one of detect,'),
    });
    // commit, restore and prune are the database's own: a caller cannot forge them.
    await expect(db.recordAudit({ step: 'commit' as 'detect', outcome: 'ok' })).rejects.toMatchObject({
      code: 'DB_OPTION_INVALID',
      message: expect.stringContaining('is recorded by the database itself'),
    });
    expect(await db.listAudit(0)).toEqual([]);
  });

  it('stores rejected rows with line, raw text, column, value and reason', async () => {
    const { db } = await openTempSqlite();
    await db.recordRejects(3, [
      { line: 9, raw: 'x,y', column: 'amount', value: 'y', reason: 'not a number' },
      { line: 4, raw: 'a', reason: 'too few fields' },
    ]);
    expect(await db.listRejects(3)).toEqual([
      { line: 4, raw: 'a', reason: 'too few fields' },
      { line: 9, raw: 'x,y', column: 'amount', value: 'y', reason: 'not a number' },
    ]);
    expect(await db.listRejects(3, { limit: 1 })).toHaveLength(1);
    expect(await db.listRejects(4)).toEqual([]);
  });
});

describe('SqliteFileTracking', () => {
  const lease = { instanceId: 'i1', leaseMs: 60_000 };
  const entry = { path: '/drop/incoming/a.csv', name: 'a.csv', size: 10, mtimeMs: 1000 };

  it('claims a new file once, then refuses while the lease holds', async () => {
    const { db } = await openTempSqlite();
    const claim = await db.files.claimNew(entry, lease);
    expect(claim).not.toBeNull();
    expect(await db.files.claimNew(entry, { instanceId: 'i2', leaseMs: 60_000 })).toBeNull();
    const rec = await db.files.get(claim!.fileId);
    expect(rec).toMatchObject({
      path: entry.path,
      name: 'a.csv',
      size: 10,
      mtimeMs: 1000,
      status: 'claimed',
      instanceId: 'i1',
    });
    expect(rec?.leaseUntil?.getTime()).toBe(claim!.leaseUntil.getTime());
  });

  it('updates progress and finishes with the token, and rejects a stale token with DB_CLAIM_LOST', async () => {
    const { db } = await openTempSqlite();
    const claim = (await db.files.claimNew(entry, lease))!;
    await db.files.update(claim, {
      status: 'processing',
      path: '/drop/processing/1--a.csv',
      sha256: 'ab'.repeat(32),
      rowsRead: 5,
    });
    const stale = { ...claim, token: 'not-the-token' };
    await expect(db.files.update(stale, { rowsRead: 6 })).rejects.toMatchObject({ code: 'DB_CLAIM_LOST' });
    expect(await db.files.heartbeat(stale, 1000)).toBe(false);
    expect(await db.files.heartbeat(claim, 120_000)).toBe(true);
    await db.files.finish(claim, {
      status: 'archived',
      rowsLoaded: 5,
      rowsRejected: 0,
      targetTable: 'a',
      path: '/drop/archive/a.csv',
    });
    const rec = (await db.files.get(claim.fileId))!;
    expect(rec).toMatchObject({
      status: 'archived',
      rowsRead: 5,
      rowsLoaded: 5,
      rowsRejected: 0,
      targetTable: 'a',
      leaseUntil: null,
    });
    expect(rec.startedAt).toBeInstanceOf(Date);
    expect(rec.finishedAt).toBeInstanceOf(Date);
    await expect(db.files.update(claim, { rowsRead: 1 })).rejects.toMatchObject({ code: 'DB_CLAIM_LOST' });
    await expect(db.files.finish(stale, { status: 'failed' })).rejects.toMatchObject({ code: 'DB_CLAIM_LOST' });
    expect(await db.files.findBySha256('ab'.repeat(32))).toHaveLength(1);
    const sha256 = 'ab'.repeat(32);
    expect((await db.files.findLoaded({ sha256, table: 'A' }))?.id).toBe(claim.fileId);
    expect(await db.files.findLoaded({ sha256, table: 'b' })).toBeUndefined();
    expect(await db.files.findLoaded({ sha256, table: 'a', excludeFileId: claim.fileId })).toBeUndefined();
    expect(await db.files.findLoaded({ sha256: 'cd'.repeat(32), table: 'a' })).toBeUndefined();
    expect((await db.files.list({ status: 'archived' })).map((f) => f.id)).toEqual([claim.fileId]);
  });

  it('re-claims only expired leases, and the old token is then lost', async () => {
    const { db } = await openTempSqlite();
    const held = (await db.files.claimNew({ ...entry, path: '/drop/incoming/b.csv' }, lease))!;
    expect(await db.files.reclaim(held.fileId, { instanceId: 'i2', leaseMs: 60_000 })).toBeNull();
    const claim = (await db.files.claimNew(entry, { instanceId: 'i1', leaseMs: 1 }))!;
    await new Promise((r) => setTimeout(r, 5));
    expect((await db.files.listExpired()).map((f) => f.id)).toEqual([claim.fileId]);
    const again = await db.files.reclaim(claim.fileId, { instanceId: 'i2', leaseMs: 60_000 });
    expect(again).not.toBeNull();
    expect(await db.files.reclaim(claim.fileId, lease)).toBeNull();
    await expect(db.files.update(claim, { rowsRead: 1 })).rejects.toMatchObject({ code: 'DB_CLAIM_LOST' });
    expect(await db.files.listExpired()).toEqual([]);
    await db.files.finish(again!, { status: 'failed', errorCode: 'X', errorMessage: 'boom' });
    expect(await db.files.get(claim.fileId)).toMatchObject({
      status: 'failed',
      errorCode: 'X',
      errorMessage: 'boom',
      instanceId: 'i2',
    });
    expect(await db.files.reclaim(claim.fileId, lease)).toBeNull();
  });
});

describe('SqliteDatabase concurrency', () => {
  it('a reader that started before a replace sees the complete old table; later readers see the new one', async () => {
    const { db } = await openTempSqlite();
    const old = Array.from({ length: 3000 }, (_, i) => [`O${i}`, 'old', i]);
    await load(db, 'currencies', currencies, old);
    const reader = db.readTable('currencies')[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(first.value).toEqual(['O0', 'old', 0]);
    const outcome = await load(
      db,
      'currencies',
      currencies,
      Array.from({ length: 2000 }, (_, i) => [`N${i}`, 'new', i]),
    );
    expect(outcome.status).toBe('applied');
    const rest: unknown[][] = [];
    for (let r = await reader.next(); !r.done; r = await reader.next()) rest.push([...r.value]);
    expect(rest).toHaveLength(2999);
    expect(rest.every((row) => row[1] === 'old')).toBe(true);
    const after = await readAll(db, 'currencies');
    expect(after).toHaveLength(2000);
    expect(after.every((row) => row[1] === 'new')).toBe(true);
  });

  it('close() waits for work in progress and then refuses new work with DB_CLOSED', async () => {
    const { db } = await openTempSqlite();
    const session = await db.beginLoad({ table: 'currencies', columns: currencies });
    const writing = session.write(staged([['EUR', 'Euro', 978]]));
    await db.close();
    await writing;
    await expect(db.describeTable('currencies')).rejects.toMatchObject({ code: 'DB_CLOSED' });
    await db.close();
  });

  it('rejects an unparseable URL and a bad option before touching the disk', async () => {
    const { openDatabase } = await import('../src/index.js');
    await expect(openDatabase('postgres://x')).rejects.toMatchObject({ code: 'DB_URL_INVALID' });
    await expect(openDatabase('sqlite::memory:', { keepBackups: -1 })).rejects.toMatchObject({
      code: 'DB_OPTION_INVALID',
    });
  });
});
