// The Database contract, once per dialect: every expectation is stated per dialect (Record<Dialect, T>).
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ColumnDef, Database, DbValue, Dialect, LoadOutcome, LoadSpec } from '../../src/index.js';
import { DIALECTS } from '../../src/index.js';
import { staged } from '../helpers.js';
import { closeSharedTargets, randomHex, same, TARGETS, uniqueTable } from './targets.js';

afterAll(closeSharedTargets);

const cols: ColumnDef[] = [
  { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
  { name: 'name', type: { kind: 'text' }, nullable: true },
  { name: 'minor', type: { kind: 'int' }, nullable: true },
];

async function readAll(db: Database, table: string): Promise<DbValue[][]> {
  const out: DbValue[][] = [];
  for await (const row of db.readTable(table)) out.push([...row]);
  return out;
}

async function loadRows(db: Database, spec: LoadSpec, rows: readonly (readonly DbValue[])[]): Promise<LoadOutcome> {
  const session = await db.beginLoad(spec);
  await session.write(staged(rows));
  await session.validate();
  return session.commit();
}

/**
 * A table exactly: its columns (names, types, nullability), row count, and a sha256 over every
 * row's values (sorted, so a heap's order on SQL Server does not matter).
 */
async function tableState(db: Database, table: string): Promise<{ columns: unknown; rows: number; sha: string }> {
  const description = await db.describeTable(table);
  const lines = (await readAll(db, table))
    .map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))
    .sort();
  return {
    columns: description?.columns.map((c) => [c.name, c.type]),
    rows: description?.rowCount ?? -1,
    sha: createHash('sha256').update(lines.join('\n')).digest('hex'),
  };
}

/** `n` rows of `cols` with 3-character codes from `from`, values tagged `tag` (every 7th name NULL). */
const rowsOf = (from: number, n: number, tag: string): DbValue[][] =>
  Array.from({ length: n }, (_, i) => {
    const k = from + i;
    return [k.toString(36).padStart(3, '0'), k % 7 === 0 ? null : `${tag} ${k}`, (k * 31) % 1000];
  });

/** The snapshot a load took. */
const takenBy = (o: LoadOutcome): string => {
  if (o.status !== 'applied' || o.snapshot === null) throw new Error(`no snapshot: ${JSON.stringify(o)}`);
  return o.snapshot.snapshot;
};

const sortRows = (rows: DbValue[][]): DbValue[][] => [...rows].sort((a, b) => String(a[0]).localeCompare(String(b[0])));

for (const dialect of DIALECTS) {
  const target = TARGETS[dialect];
  describe.skipIf(!target.available)(`Database conformance (${dialect})`, () => {
    it('migrates from empty and re-runs the migration without change', async () => {
      const db = await target.open();
      await db.migrate();
      const health = await db.health();
      const expected: Record<Dialect, { ok: boolean; dialect: Dialect; schemaVersion: number }> = {
        sqlite: { ok: true, dialect: 'sqlite', schemaVersion: 2 },
        mssql: { ok: true, dialect: 'mssql', schemaVersion: 3 },
      };
      expect({ ok: health.ok, dialect: health.dialect, schemaVersion: health.schemaVersion }).toEqual(
        expected[dialect],
      );
      expect(db.displayUrl).not.toMatch(/password|:[^@/]*@/i);
    });

    it('replaces a table and catalogues the previous contents as a bkp snapshot', async () => {
      const db = await target.open();
      const table = uniqueTable('replace');
      const first = await loadRows(db, { table, columns: cols }, [
        ['EUR', 'Euro', 2],
        ['USD', 'Dollar', 2],
      ]);
      expect(first).toMatchObject({ status: 'applied', rowsLoaded: 2, snapshot: null });
      const second = await loadRows(db, { table, columns: cols, sourceFile: 'c.csv', fileId: 41 }, [
        ['EUR', 'Euro', 2],
        ['USD', 'US Dollar', 2],
        ['JPY', 'Yen', 0],
      ]);
      expect(second.status).toBe('applied');
      const backups = await db.listBackups(table);
      expect(
        backups.map((b) => ({ rows: b.rows, reason: b.reason, sourceFile: b.sourceFile, fileId: b.fileId })),
      ).toEqual(same([{ rows: 2, reason: 'replace', sourceFile: 'c.csv', fileId: 41 }])[dialect]);
      expect(second.status === 'applied' && second.snapshot?.snapshot).toBe(backups[0]?.snapshot);
      expect(await readAll(db, table)).toEqual(
        same([
          ['EUR', 'Euro', 2],
          ['USD', 'US Dollar', 2],
          ['JPY', 'Yen', 0],
        ])[dialect],
      );
      expect(await db.describeTable(table)).toEqual(same({ name: table, columns: cols, rowCount: 3 })[dialect]);
    });

    it('loads, replaces, upserts and reads columns whose names hold ], [, " and spaces', async () => {
      const db = await target.open();
      const table = uniqueTable('oddnames');
      const odd: ColumnDef[] = [
        { name: 'k]ey', type: { kind: 'text', maxLength: 5 }, nullable: false },
        { name: 'x"y', type: { kind: 'text' }, nullable: true },
        { name: '[br] a', type: { kind: 'int' }, nullable: true },
        { name: 'z"]; DROP TABLE x; --', type: { kind: 'text' }, nullable: true },
      ];
      await loadRows(db, { table, columns: odd }, [['A', 'one', 1, 'p']]);
      const second = await loadRows(db, { table, columns: odd, mode: 'upsert', keyColumns: ['k]ey'] }, [
        ['A', 'uno', 1, 'q'],
        ['B', 'two', 2, null],
      ]);
      expect(second).toMatchObject({ status: 'applied', rowsLoaded: 2 });
      expect((await readAll(db, table)).sort()).toEqual(
        same([
          ['A', 'uno', 1, 'q'],
          ['B', 'two', 2, null],
        ])[dialect],
      );
      expect((await db.describeTable(table))?.columns.map((c) => c.name)).toEqual(
        same(['k]ey', 'x"y', '[br] a', 'z"]; DROP TABLE x; --'])[dialect],
      );
    });

    it('appends rows, snapshotting first', async () => {
      const db = await target.open();
      const table = uniqueTable('append');
      await loadRows(db, { table, columns: cols }, [['EUR', 'Euro', 2]]);
      const outcome = await loadRows(db, { table, columns: cols, mode: 'append', keyColumns: ['code'] }, [
        ['USD', 'Dollar', 2],
        ['JPY', 'Yen', 0],
      ]);
      expect(outcome).toMatchObject(
        same({
          status: 'applied',
          mode: 'append',
          rowsLoaded: 2,
          changes: { added: 2, removed: 0, changed: 0, unchanged: 1 },
        })[dialect],
      );
      expect(outcome.status === 'applied' && outcome.snapshot?.rows).toBe(1);
      expect(await readAll(db, table)).toEqual(
        same([
          ['EUR', 'Euro', 2],
          ['USD', 'Dollar', 2],
          ['JPY', 'Yen', 0],
        ])[dialect],
      );
    });

    it('upserts by key: updates changed rows, inserts new ones, and summarises the changes', async () => {
      const db = await target.open();
      const table = uniqueTable('upsert');
      await loadRows(db, { table, columns: cols }, [
        ['EUR', 'Euro', 2],
        ['USD', 'Dollar', 2],
        ['GBP', 'Pound', 2],
      ]);
      const outcome = await loadRows(db, { table, columns: cols, mode: 'upsert', keyColumns: ['CODE'] }, [
        ['USD', 'US Dollar', 2],
        ['GBP', 'Pound', 2],
        ['JPY', 'Yen', 0],
      ]);
      expect(outcome).toMatchObject(
        same({
          status: 'applied',
          mode: 'upsert',
          rowsLoaded: 3,
          changes: { added: 1, removed: 0, changed: 1, unchanged: 2 },
        })[dialect],
      );
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['EUR', 'Euro', 2],
          ['GBP', 'Pound', 2],
          ['JPY', 'Yen', 0],
          ['USD', 'US Dollar', 2],
        ])[dialect],
      );
      expect((await db.listBackups(table)).map((b) => b.reason)).toEqual(same(['upsert'])[dialect]);
    });

    it('summarises a keyed replace as rows added, removed, changed and unchanged, in the audit trail too', async () => {
      const db = await target.open();
      const table = uniqueTable('summary');
      await loadRows(db, { table, columns: cols }, [
        ['EUR', 'Euro', 2],
        ['USD', 'Dollar', 2],
        ['GBP', 'Pound', 2],
      ]);
      const fileId = 900_000 + Math.floor(Math.random() * 100_000);
      const outcome = await loadRows(db, { table, columns: cols, keyColumns: ['code'], fileId }, [
        ['EUR', 'Euro', 2],
        ['USD', 'US Dollar', 2],
        ['JPY', 'Yen', 0],
      ]);
      const changes = { added: 1, removed: 1, changed: 1, unchanged: 1 };
      expect(outcome.status === 'applied' && outcome.changes).toEqual(same(changes)[dialect]);
      const audit = await db.listAudit(fileId);
      const commit = audit.find((a) => a.step === 'commit');
      expect(commit).toMatchObject(
        same({ outcome: 'ok', details: { changes, mode: 'replace', rowsLoaded: 3 } })[dialect],
      );
    });

    it('rejects duplicate and empty keys within a file as rows with line numbers, and loads the rest', async () => {
      const db = await target.open();
      const table = uniqueTable('dups');
      const session = await db.beginLoad({ table, columns: cols, mode: 'upsert', keyColumns: ['code'] });
      await session.write(
        staged([
          ['EUR', 'Euro', 2],
          ['USD', 'Dollar', 2],
          ['EUR', 'Euro again', 2],
          ['EUR', 'Euro thrice', 2],
        ]),
      );
      await session.write([{ line: 6, values: ['GBP', 'Pound', 2] }]);
      const report = await session.validate();
      expect(report.stagedRows).toBe(3);
      expect(report.duplicateKeys.map((r) => ({ line: r.line, column: r.column, value: r.value, raw: r.raw }))).toEqual(
        same([
          { line: 4, column: 'code', value: 'EUR', raw: 'EUR,Euro again,2' },
          { line: 5, column: 'code', value: 'EUR', raw: 'EUR,Euro thrice,2' },
        ])[dialect],
      );
      expect(report.duplicateKeys[0]?.reason).toMatch(/duplicate key.*line 2/);
      const outcome = await session.commit();
      expect(outcome).toMatchObject({ status: 'applied', rowsLoaded: 3 });
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['EUR', 'Euro', 2],
          ['GBP', 'Pound', 2],
          ['USD', 'Dollar', 2],
        ])[dialect],
      );
    });

    it("compares text keys as the database does: SQL Server's collation makes ABC equal abc and 'x ' equal 'x', and says so", async () => {
      const db = await target.open();
      const table = uniqueTable('keycase');
      const session = await db.beginLoad({ table, columns: cols, mode: 'replace', keyColumns: ['code'] });
      await session.write(
        staged([
          ['abc', 'lower', 1],
          ['ABC', 'upper', 2],
          ['x', 'plain', 3],
          ['x ', 'trailing space', 4],
        ]),
      );
      const report = await session.validate();
      const expected: Record<Dialect, { stagedRows: number; reasons: string[] }> = {
        sqlite: { stagedRows: 4, reasons: [] },
        mssql: {
          stagedRows: 2,
          reasons: [
            `duplicate key (code=ABC): first seen on line 2 as code="abc", equal under the column's collation (SQL Server's default ignores case and trailing spaces)`,
            `duplicate key (code=x ): first seen on line 4 as code="x", equal under the column's collation (SQL Server's default ignores case and trailing spaces)`,
          ],
        },
      };
      expect({ stagedRows: report.stagedRows, reasons: report.duplicateKeys.map((r) => r.reason) }).toEqual(
        expected[dialect],
      );
      await session.abort();
    });

    it('reports values that do not fit their column as conversion errors and skips those rows', async () => {
      const db = await target.open();
      const table = uniqueTable('convert');
      const columns: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'amount', type: { kind: 'decimal', precision: 5, scale: 2 }, nullable: true },
        { name: 'day', type: { kind: 'date' }, nullable: true },
      ];
      const session = await db.beginLoad({ table, columns });
      await session.write(
        staged([
          ['AAA', '123.45', '2024-02-29'],
          ['BBB', '1.234', '2024-01-01'],
          ['CCC', '1234.5', '2024-01-01'],
          ['DDD', '1.00', '2023-02-29'],
          ['EEEE', '1', '2024-01-01'],
          [null, '1', '2024-01-01'],
          ['FFF', '-999.99', null],
        ]),
      );
      const report = await session.validate();
      expect(report.conversionErrors.map((r) => [r.line, r.column])).toEqual(
        same([
          [3, 'amount'],
          [4, 'amount'],
          [5, 'day'],
          [6, 'code'],
          [7, 'code'],
        ])[dialect],
      );
      expect(report.stagedRows).toBe(2);
      await session.commit();
      expect(await readAll(db, table)).toEqual(
        same([
          ['AAA', '123.45', '2024-02-29'],
          ['FFF', '-999.99', null],
        ])[dialect],
      );
    });

    it('keeps every rejected row with the file when commit() runs without validate(): repeated keys and values that do not fit', async () => {
      const db = await target.open();
      const table = uniqueTable('novalidate');
      const fileId = 700_000 + Math.floor(Math.random() * 100_000);
      const session = await db.beginLoad({ table, columns: cols, keyColumns: ['code'], fileId });
      await session.write(
        staged([
          ['EUR', 'Euro', 2],
          ['EUR', 'Euro again', 2],
          ['LONG', 'too long a code', 2],
          ['USD', 'Dollar', 2],
        ]),
      );
      expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 2 });
      expect((await db.listRejects(fileId)).map((r) => [r.line, r.column])).toEqual(
        same([
          [3, 'code'],
          [4, 'code'],
        ])[dialect],
      );
    });

    it('holds a replace that would shrink the table by more than half or empty it, until forced', async () => {
      const db = await target.open();
      const table = uniqueTable('held');
      const rows: DbValue[][] = Array.from({ length: 10 }, (_, i) => [`C${i}`, `n${i}`, i]);
      await loadRows(db, { table, columns: cols }, rows);
      const shrunk = await loadRows(db, { table, columns: cols }, rows.slice(0, 4));
      expect(shrunk).toMatchObject(same({ status: 'held', liveRows: 10, incomingRows: 4 })[dialect]);
      expect(shrunk.status === 'held' && shrunk.reason).toMatch(/force/);
      const empty = await loadRows(db, { table, columns: cols }, []);
      expect(empty).toMatchObject(same({ status: 'held', liveRows: 10, incomingRows: 0 })[dialect]);
      expect(await readAll(db, table)).toHaveLength(10);
      expect(await db.listBackups(table)).toEqual([]);
      const half = await loadRows(db, { table, columns: cols }, rows.slice(0, 5));
      expect(half.status).toBe('applied');
      const strict = await loadRows(db, { table, columns: cols, maxShrinkRatio: 0.1 }, rows.slice(0, 4));
      expect(strict.status).toBe('held');
      const forced = await loadRows(db, { table, columns: cols, force: true }, []);
      expect(forced).toMatchObject({ status: 'applied', rowsLoaded: 0 });
      expect(await readAll(db, table)).toEqual([]);
    });

    it('keeps the newest N snapshots per table and prunes the rest', async () => {
      const db = await target.open({ keepBackups: 3 });
      const table = uniqueTable('retain');
      for (let i = 1; i <= 6; i++) {
        await loadRows(
          db,
          { table, columns: cols },
          Array.from({ length: 5 + i }, (_, j) => [`C${j}`, `v${i}`, i]),
        );
      }
      const backups = await db.listBackups(table);
      expect(backups.map((b) => b.rows)).toEqual(same([10, 9, 8])[dialect]);
      const dropped = await db.pruneBackups(table, 1);
      expect(dropped.map((b) => b.rows)).toEqual(same([9, 8])[dialect]);
      expect((await db.listBackups(table)).map((b) => b.rows)).toEqual(same([10])[dialect]);
      await expect(db.pruneBackups(table, -1)).rejects.toMatchObject({ code: 'DB_OPTION_INVALID' });
    });

    it('restores a snapshot atomically after snapshotting the current contents', async () => {
      const db = await target.open();
      const table = uniqueTable('restore');
      await loadRows(db, { table, columns: cols }, [['OLD', 'old', 1]]);
      await loadRows(db, { table, columns: cols }, [['NEW', 'new', 2]]);
      const [old] = await db.listBackups(table);
      const taken = await db.restoreBackup(table, old!.snapshot);
      expect({ reason: taken.reason, rows: taken.rows }).toEqual(same({ reason: 'restore', rows: 1 })[dialect]);
      expect(await readAll(db, table)).toEqual(same([['OLD', 'old', 1]])[dialect]);
      const after = await db.listBackups(table);
      expect(after.map((b) => b.reason).sort()).toEqual(same(['replace', 'restore'])[dialect]);
      await db.restoreBackup(table, taken.snapshot);
      expect(await readAll(db, table)).toEqual(same([['NEW', 'new', 2]])[dialect]);
      await expect(db.restoreBackup(table, 'nope')).rejects.toMatchObject({ code: 'DB_SNAPSHOT_NOT_FOUND' });
    });

    it('undoes an upsert exactly: its delta snapshot holds only what the file touched, and restoring it brings back every old row and value', async () => {
      const db = await target.open();
      const table = uniqueTable('dupsert');
      const keyed = { table, columns: cols, keyColumns: ['code'] };
      await loadRows(db, keyed, rowsOf(0, 300, 'base'));
      const before = await tableState(db, table);
      // 60 live keys updated (20 unchanged in value), 40 new keys.
      const upsert = await loadRows(db, { ...keyed, mode: 'upsert' }, [
        ...rowsOf(100, 40, 'changed'),
        ...rowsOf(150, 20, 'base'),
        ...rowsOf(1000, 40, 'new'),
      ]);
      expect(upsert.status === 'applied' && upsert.snapshot).toMatchObject(
        same({ kind: 'delta', rows: 300, reason: 'upsert' })[dialect],
      );
      const after = await tableState(db, table);
      expect(after.rows).toBe(340);
      const taken = await db.restoreBackup(table, takenBy(upsert));
      expect({ reason: taken.reason, kind: taken.kind, rows: taken.rows }).toEqual(
        same({ reason: 'restore', kind: 'full', rows: 340 })[dialect],
      );
      expect(await tableState(db, table)).toEqual(same(before)[dialect]);
      // The restore's own snapshot brings the upserted table back.
      await db.restoreBackup(table, taken.snapshot);
      expect(await tableState(db, table)).toEqual(same(after)[dialect]);
    });

    it('undoes an append, keyed or not: restoring its snapshot removes exactly the appended rows', async () => {
      const db = await target.open();
      const table = uniqueTable('dappend');
      await loadRows(db, { table, columns: cols }, rowsOf(0, 50, 'base'));
      const before = await tableState(db, table);
      const keyed = await loadRows(db, { table, columns: cols, mode: 'append', keyColumns: ['code'] }, [
        ...rowsOf(500, 30, 'appended'),
        ...rowsOf(10, 5, 'again'), // keys already live: an append keeps both copies
      ]);
      const middle = await tableState(db, table);
      expect(middle.rows).toBe(85);
      const keyless = await loadRows(db, { table, columns: cols, mode: 'append' }, rowsOf(700, 20, 'more'));
      // SQL Server has no row identity to undo an append without keys by: that one is a full copy.
      const kinds: Record<Dialect, string[]> = { sqlite: ['delta', 'delta'], mssql: ['full', 'delta'] };
      expect((await db.listBackups(table)).map((b) => b.kind)).toEqual(kinds[dialect]);
      await db.restoreBackup(table, takenBy(keyless));
      expect(await tableState(db, table)).toEqual(same(middle)[dialect]);
      await db.restoreBackup(table, takenBy(keyed));
      expect(await tableState(db, table)).toEqual(same(before)[dialect]);
    });

    it('restores the oldest of several loads by undoing every newer snapshot, newest first, full ones included', async () => {
      const db = await target.open();
      const table = uniqueTable('dchain');
      const keyed = { table, columns: cols, keyColumns: ['code'] };
      await loadRows(db, keyed, rowsOf(0, 100, 'v0'));
      const states = [await tableState(db, table)];
      const snapshots: string[] = [];
      const steps: [LoadSpec, DbValue[][]][] = [
        [{ ...keyed, mode: 'upsert' }, [...rowsOf(0, 30, 'v1'), ...rowsOf(200, 10, 'v1')]],
        [{ ...keyed, mode: 'append' }, rowsOf(300, 15, 'v2')],
        [{ ...keyed, mode: 'upsert' }, [...rowsOf(20, 30, 'v3'), ...rowsOf(305, 5, 'v3'), ...rowsOf(400, 5, 'v3')]],
        [{ ...keyed, mode: 'replace' }, rowsOf(50, 100, 'v4')],
        [{ ...keyed, mode: 'upsert' }, [...rowsOf(60, 10, 'v5'), ...rowsOf(500, 10, 'v5')]],
      ];
      for (const [spec, rows] of steps) {
        snapshots.push(takenBy(await loadRows(db, spec, rows)));
        states.push(await tableState(db, table));
      }
      expect((await db.listBackups(table)).map((b) => b.kind)).toEqual(
        same(['delta', 'full', 'delta', 'delta', 'delta'])[dialect],
      );
      // The second load's snapshot: undo v5 (delta), reset to v4's full copy (= v3), undo v3.
      const first = await db.restoreBackup(table, snapshots[1]!);
      expect(await tableState(db, table)).toEqual(same(states[1])[dialect]);
      // The oldest, through the restore's own full snapshot.
      await db.restoreBackup(table, snapshots[0]!);
      expect(await tableState(db, table)).toEqual(same(states[0])[dialect]);
      await db.restoreBackup(table, first.snapshot);
      expect(await tableState(db, table)).toEqual(same(states[5])[dialect]);
      // Every snapshot still restores the state before its load.
      for (const i of [3, 2, 4]) {
        await db.restoreBackup(table, snapshots[i]!);
        expect(await tableState(db, table)).toEqual(same(states[i])[dialect]);
      }
    });

    it('refuses to restore through a delta when the table was changed outside refdata, or a snapshot it needs is gone, and changes nothing', async () => {
      const db = await target.open();
      const table = uniqueTable('dedit');
      const keyed = { table, columns: cols, keyColumns: ['code'] };
      await loadRows(db, keyed, rowsOf(0, 40, 'base'));
      const first = takenBy(await loadRows(db, { ...keyed, mode: 'upsert' }, rowsOf(30, 20, 'u1')));
      const second = takenBy(await loadRows(db, { ...keyed, mode: 'append' }, rowsOf(100, 5, 'a2')));
      const deleteOne: Record<Dialect, string> = {
        sqlite: `DELETE FROM "ref.${table}" WHERE code = '001'`,
        mssql: `DELETE FROM [ref].[${table}] WHERE code = N'001'`,
      };
      await target.outside(db, deleteOne[dialect]);
      const edited = await tableState(db, table);
      const backups = await db.listBackups(table);
      const broken = expect.objectContaining({
        code: 'DB_SNAPSHOT_CHAIN_BROKEN',
        message: expect.stringMatching(/changed outside refdata.*Nothing was changed.*full/),
      });
      await expect(db.restoreBackup(table, second)).rejects.toThrow(broken);
      await expect(db.restoreBackup(table, first)).rejects.toThrow(broken);
      expect(await tableState(db, table)).toEqual(same(edited)[dialect]);
      expect(await db.listBackups(table)).toEqual(same(backups)[dialect]);

      // A snapshot table dropped by hand breaks the chain through it, not newer ones.
      const again = takenBy(await loadRows(db, { ...keyed, mode: 'upsert' }, rowsOf(0, 3, 'u3')));
      const dropNewest: Record<Dialect, string> = {
        sqlite: `DROP TABLE "bkp.${again}"`,
        mssql: `DROP TABLE [bkp].[${again}]`,
      };
      await target.outside(db, dropNewest[dialect]);
      await expect(db.restoreBackup(table, first)).rejects.toThrow(
        expect.objectContaining({ code: 'DB_SNAPSHOT_CHAIN_BROKEN', message: expect.stringMatching(/gone/) }),
      );
    });

    it('keeps the chain whole when old snapshots are pruned: every kept snapshot still restores exactly', async () => {
      const db = await target.open({ keepBackups: 3 });
      const table = uniqueTable('dprune');
      const keyed = { table, columns: cols, keyColumns: ['code'] };
      await loadRows(db, keyed, rowsOf(0, 60, 'v0'));
      const states = [await tableState(db, table)];
      const snapshots: string[] = [];
      for (let v = 1; v <= 6; v++) {
        const rows = [...rowsOf(v * 5, 10, `v${v}`), ...rowsOf(1000 + v * 10, 4, `v${v}`)];
        snapshots.push(takenBy(await loadRows(db, { ...keyed, mode: 'upsert' }, rows)));
        states.push(await tableState(db, table));
      }
      expect((await db.listBackups(table)).map((b) => b.snapshot)).toEqual(same(snapshots.slice(3).reverse())[dialect]);
      await db.restoreBackup(table, snapshots[3]!);
      expect(await tableState(db, table)).toEqual(same(states[3])[dialect]);
      // Keep only the newest (the restore's own snapshot): it still brings the last load back.
      await db.pruneBackups(table, 1);
      const [kept] = await db.listBackups(table);
      await db.restoreBackup(table, kept!.snapshot);
      expect(await tableState(db, table)).toEqual(same(states[6])[dialect]);
    });

    it('drops the columns a load added when restoring the snapshot before it', async () => {
      const db = await target.open();
      const table = uniqueTable('dcols');
      const keyed = { table, columns: cols, keyColumns: ['code'] };
      await loadRows(db, keyed, rowsOf(0, 20, 'base'));
      const before = await tableState(db, table);
      const wider: ColumnDef[] = [...cols, { name: 'extra', type: { kind: 'text' }, nullable: true }];
      const upsert = await loadRows(
        db,
        { table, columns: wider, keyColumns: ['code'], mode: 'upsert', addMissingColumns: true },
        rowsOf(15, 10, 'wide').map((r) => [...r, `x${String(r[0])}`]),
      );
      const afterUpsert = await tableState(db, table);
      const appended = await loadRows(
        db,
        {
          table,
          columns: [...wider, { name: 'more', type: { kind: 'int' }, nullable: true }],
          keyColumns: ['code'],
          mode: 'append',
          addMissingColumns: true,
        },
        [['zzz', 'z', 1, 'z', 7]],
      );
      expect((await db.describeTable(table))?.columns.map((c) => c.name)).toEqual(
        same(['code', 'name', 'minor', 'extra', 'more'])[dialect],
      );
      await db.restoreBackup(table, takenBy(appended));
      expect(await tableState(db, table)).toEqual(same(afterUpsert)[dialect]);
      await db.restoreBackup(table, takenBy(upsert));
      expect(await tableState(db, table)).toEqual(same(before)[dialect]);
    });

    it('refuses to append a file whose columns do not fit, unless told to add new columns', async () => {
      const db = await target.open();
      const table = uniqueTable('drift');
      await loadRows(db, { table, columns: cols }, [['EUR', 'Euro', 2]]);
      const wider: ColumnDef[] = [...cols, { name: 'symbol', type: { kind: 'text' }, nullable: true }];
      await expect(db.beginLoad({ table, columns: wider, mode: 'append' })).rejects.toMatchObject({
        code: 'DB_SCHEMA_MISMATCH',
      });
      const outcome = await loadRows(db, { table, columns: wider, mode: 'append', addMissingColumns: true }, [
        ['USD', 'Dollar', 2, '$'],
      ]);
      expect(outcome.status).toBe('applied');
      expect(await readAll(db, table)).toEqual(
        same([
          ['EUR', 'Euro', 2, null],
          ['USD', 'Dollar', 2, '$'],
        ])[dialect],
      );
      const retyped: ColumnDef[] = [cols[0]!, { name: 'name', type: { kind: 'int' }, nullable: true }];
      await expect(db.beginLoad({ table, columns: retyped, mode: 'append' })).rejects.toMatchObject({
        code: 'DB_SCHEMA_MISMATCH',
      });
    });

    it('cancels a load through its signal and leaves the table as it was', async () => {
      const db = await target.open();
      const table = uniqueTable('cancel');
      await loadRows(db, { table, columns: cols }, [['EUR', 'Euro', 2]]);
      const controller = new AbortController();
      const session = await db.beginLoad({ table, columns: cols, signal: controller.signal });
      await session.write(staged([['USD', 'Dollar', 2]]));
      controller.abort(new Error('user cancelled'));
      await expect(session.write(staged([['JPY', 'Yen', 0]]))).rejects.toMatchObject({ code: 'DB_ABORTED' });
      await expect(session.commit()).rejects.toMatchObject({ code: 'DB_SESSION_CLOSED' });
      expect(await readAll(db, table)).toEqual([['EUR', 'Euro', 2]]);
    });

    it('stores dataset configuration', async () => {
      const db = await target.open();
      const table = uniqueTable('ds');
      await db.setDataset({
        table,
        mode: 'upsert',
        keyColumns: ['code'],
        typeOverrides: { code: { kind: 'text', maxLength: 3 } },
      });
      await db.setDataset({ table, mode: 'upsert', keyColumns: ['code', 'day'], typeOverrides: {} });
      expect(await db.getDataset(table)).toEqual(
        same({ table, mode: 'upsert', keyColumns: ['code', 'day'], typeOverrides: {} })[dialect],
      );
      expect((await db.listDatasets()).some((d) => d.table === table)).toBe(true);
      expect(await db.getDataset(uniqueTable('none'))).toBeUndefined();
      await expect(db.setDataset({ table, mode: 'upsert', keyColumns: [], typeOverrides: {} })).rejects.toMatchObject({
        code: 'DB_OPTION_INVALID',
      });
    });

    it('tracks a file through claim, progress and finish, guarded by its token', async () => {
      const db = await target.open();
      const path = `/drop/incoming/${uniqueTable('f')}.csv`;
      const lease = { instanceId: 'conf-a', leaseMs: 60_000 };
      const claim = await db.files.claimNew({ path, name: 'f.csv', size: 3 }, lease);
      expect(claim).not.toBeNull();
      expect(
        await db.files.claimNew({ path, name: 'f.csv', size: 3 }, { instanceId: 'conf-b', leaseMs: 60_000 }),
      ).toBeNull();
      await db.files.update(claim!, { status: 'processing', sha256: 'cd'.repeat(32), rowsRead: 3 });
      await expect(db.files.update({ ...claim!, token: 'x' }, { rowsRead: 4 })).rejects.toMatchObject({
        code: 'DB_CLAIM_LOST',
      });
      await db.files.finish(claim!, { status: 'held', targetTable: 'f' });
      const rec = await db.files.get(claim!.fileId);
      expect({ status: rec?.status, rowsRead: rec?.rowsRead, lease: rec?.leaseUntil }).toEqual(
        same({ status: 'held', rowsRead: 3, lease: null })[dialect],
      );
      expect(await db.files.heartbeat(claim!, 1000)).toBe(false);

      // A held file is released once: the row moves to 'released' with its new path, and stays
      // out of crash recovery (terminal); releasing it again, or a file that is not held, changes nothing.
      const archived = path.replace('/incoming/', '/archive/');
      expect(await db.files.markReleased(claim!.fileId, archived)).toBe(same(true)[dialect]);
      expect(await db.files.markReleased(claim!.fileId, '/elsewhere.csv')).toBe(same(false)[dialect]);
      const released = await db.files.get(claim!.fileId);
      expect({ status: released?.status, path: released?.path }).toEqual(
        same({ status: 'released', path: archived })[dialect],
      );
      expect((await db.files.listExpired()).map((f) => f.id)).not.toContain(claim!.fileId);
    });

    it('refuses a lease longer than 24 days (2^31 − 1 ms) in claimNew, reclaim and heartbeat, and claims nothing', async () => {
      const db = await target.open();
      const path = `/drop/incoming/${uniqueTable('lease')}.csv`;
      const tooLong = 2_147_483_648;
      const refused = expect.objectContaining({ code: 'DB_OPTION_INVALID' });
      await expect(
        db.files.claimNew({ path, name: 'l.csv', size: 1 }, { instanceId: 'conf', leaseMs: tooLong }),
      ).rejects.toThrow(refused);
      const claim = await db.files.claimNew(
        { path, name: 'l.csv', size: 1 },
        { instanceId: 'conf', leaseMs: 2_147_483_647 },
      );
      expect(claim).not.toBeNull();
      await expect(db.files.heartbeat(claim!, tooLong)).rejects.toThrow(refused);
      await expect(db.files.reclaim(claim!.fileId, { instanceId: 'conf', leaseMs: tooLong })).rejects.toThrow(refused);
      expect((await db.files.get(claim!.fileId))?.leaseUntil?.getTime()).toBe(claim!.leaseUntil.getTime());
    });

    it('answers whether content was loaded into a table: archived files only, other than the one asking', async () => {
      const db = await target.open();
      const table = uniqueTable('loaded');
      const sha256 = randomHex(32);
      const lease = { instanceId: 'conf', leaseMs: 60_000 };
      const track = async (name: string, status: 'archived' | 'failed', into: string): Promise<number> => {
        const claim = await db.files.claimNew({ path: `/drop/incoming/${table}-${name}`, name, size: 1 }, lease);
        await db.files.finish(claim!, { status, sha256, targetTable: into });
        return claim!.fileId;
      };
      const failed = await track('a.csv', 'failed', table);
      expect(await db.files.findLoaded({ sha256, table })).toBeUndefined();
      const first = await track('b.csv', 'archived', table);
      const second = await track('c.csv', 'archived', table);
      await track('d.csv', 'archived', `${table}_other`);
      const found = (q: Parameters<typeof db.files.findLoaded>[0]) => db.files.findLoaded(q).then((f) => f?.id);
      expect(await found({ sha256, table: table.toUpperCase() })).toBe(same(first)[dialect]);
      expect(await found({ sha256, table, excludeFileId: first })).toBe(same(second)[dialect]);
      expect(await found({ sha256, table, excludeFileId: failed })).toBe(same(first)[dialect]);
      expect(await found({ sha256: randomHex(32), table })).toBeUndefined();
      expect(await found({ sha256, table: uniqueTable('none') })).toBeUndefined();
    });

    it('prunes the history of files finished before the cutoff, never of held or in-flight files', async () => {
      const db = await target.openIsolated();
      const lease = { instanceId: 'retention', leaseMs: 60_000 };
      const claimOf = async (name: string) => {
        const claim = await db.files.claimNew({ path: `/drop/incoming/${name}`, name, size: 1 }, lease);
        if (claim === null) throw new Error(`no claim for ${name}`);
        return claim;
      };
      const archived = await claimOf('old-archived.csv');
      const failed = await claimOf('old-failed.csv');
      const held = await claimOf('old-held.csv');
      const inFlight = await claimOf('in-flight.csv');
      await db.files.finish(archived, { status: 'archived' });
      await db.files.finish(failed, { status: 'failed', errorCode: 'X', errorMessage: 'bad' });
      await db.files.finish(held, { status: 'held' });
      for (const c of [archived, failed, held, inFlight]) {
        await db.recordAudit({ fileId: c.fileId, step: 'access', outcome: 'info', details: { operation: 'seen' } });
        await db.recordRejects(c.fileId, [{ line: 2, raw: 'x', reason: 'r' }]);
      }
      await db.recordAudit({ fileId: null, step: 'access', outcome: 'info', details: { operation: 'removed' } });
      await new Promise((r) => setTimeout(r, 20));
      const cutoff = new Date();
      await new Promise((r) => setTimeout(r, 20));
      const recent = await claimOf('recent.csv');
      await db.files.finish(recent, { status: 'archived' });
      await db.recordAudit({ fileId: recent.fileId, step: 'access', outcome: 'info', details: { operation: 'seen' } });

      const removed = await db.pruneHistory(cutoff);
      const expected: Record<Dialect, typeof removed> = {
        sqlite: { files: 2, auditEvents: 3, rejects: 2 },
        mssql: { files: 2, auditEvents: 3, rejects: 2 },
      };
      expect(removed).toEqual(expected[dialect]);
      expect(await db.files.get(archived.fileId)).toBeUndefined();
      expect(await db.files.get(failed.fileId)).toBeUndefined();
      expect(await db.listAudit(archived.fileId)).toEqual([]);
      expect(await db.listRejects(failed.fileId)).toEqual([]);
      for (const kept of [held, inFlight, recent]) {
        expect(await db.files.get(kept.fileId)).toBeDefined();
        expect(await db.listAudit(kept.fileId)).toHaveLength(1);
      }
      expect(await db.listRejects(held.fileId)).toHaveLength(1);
      expect(await db.listRejects(inFlight.fileId)).toHaveLength(1);
      expect(await db.pruneHistory(cutoff)).toEqual({ files: 0, auditEvents: 0, rejects: 0 });
      await expect(db.pruneHistory(new Date(Number.NaN))).rejects.toMatchObject({ code: 'DB_OPTION_INVALID' });
    });

    it('reads decimals back as the file wrote them: no padding to the column scale, 38 digits exact', async () => {
      const db = await target.open();
      const table = uniqueTable('dec');
      const columns: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'amount', type: { kind: 'decimal', precision: 5, scale: 2 }, nullable: true },
        { name: 'big', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
      ];
      const rows: DbValue[][] = [
        ['AAA', '1.5', '1234567890123456789012345678.1234567891'],
        ['BBB', '-2', '-0.0000000001'],
        ['CCC', '0.25', '9999999999999999999999999999.9999999999'],
        ['DDD', null, '7'],
      ];
      await loadRows(db, { table, columns }, rows);
      expect(await readAll(db, table)).toEqual(same(rows)[dialect]);
    });

    it('reads decimals back in minimal form on every dialect (a DECIMAL column holds a number, not its spelling)', async () => {
      const db = await target.open();
      const table = uniqueTable('deczero');
      const columns: ColumnDef[] = [
        { name: 'amount', type: { kind: 'decimal', precision: 5, scale: 2 }, nullable: true },
      ];
      await loadRows(db, { table, columns }, [['0.10'], ['2.00']]);
      // SQL Server cannot remember that the file wrote 0.10; SQLite reads the same minimal form.
      expect(await readAll(db, table)).toEqual(same([['0.1'], ['2']])[dialect]);
    });

    it('reads dates, times and date-times back exactly, offsets included, in any process time zone', async () => {
      const db = await target.open();
      const table = uniqueTable('temporal');
      const columns: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'day', type: { kind: 'date' }, nullable: true },
        { name: 'at', type: { kind: 'time', fractionDigits: 3 }, nullable: true },
        { name: 'local', type: { kind: 'datetime', offset: false, fractionDigits: 3 }, nullable: true },
        { name: 'stamp', type: { kind: 'datetime', offset: true, fractionDigits: 3 }, nullable: true },
        { name: 'exact', type: { kind: 'datetime', offset: true, fractionDigits: 6 }, nullable: true },
        { name: 'whole', type: { kind: 'datetime', offset: true, fractionDigits: 0 }, nullable: true },
      ];
      const rows: DbValue[][] = [
        [
          'AAA',
          '2024-02-29',
          '23:59:59.999',
          '2024-03-31T02:30:00.123',
          '2024-03-31T02:30:00.123+09:00',
          '1999-12-31T23:59:59.999999-05:30',
          '2024-01-02T03:04:05Z',
        ],
        ['BBB', '0001-01-01', '00:00:00.000', '1970-01-01T00:00:00.000', '1970-01-01T00:00:00.000Z', null, null],
        ['CCC', null, null, null, null, '2024-06-30T12:00:00.000001+14:00', '2024-06-30T12:00:00-12:00'],
      ];
      const tz = process.env.TZ;
      process.env.TZ = 'Asia/Tokyo';
      try {
        const outcome = await loadRows(db, { table, columns }, rows);
        expect(outcome).toMatchObject(same({ status: 'applied', rowsLoaded: 3 })[dialect]);
        expect(await readAll(db, table)).toEqual(same(rows)[dialect]);
      } finally {
        if (tz === undefined) delete process.env.TZ;
        else process.env.TZ = tz;
      }
    });

    it('keeps a claim through an empty progress patch', async () => {
      const db = await target.open();
      const path = `/drop/incoming/${uniqueTable('empty')}.csv`;
      const claim = await db.files.claimNew({ path, name: 'e.csv', size: 1 }, { instanceId: 'conf', leaseMs: 60_000 });
      await expect(db.files.update(claim!, {})).resolves.toBeUndefined();
      expect((await db.files.get(claim!.fileId))?.status).toBe(same('claimed')[dialect]);
    });

    it('lets exactly one of two instances claim each new path when they race', async () => {
      const [a, b] = await target.openPair();
      const prefix = uniqueTable('race');
      const paths = Array.from({ length: 20 }, (_, i) => `/drop/incoming/${prefix}-${i}.csv`);
      const claims = await Promise.all(
        paths.flatMap((path) =>
          [a, b].map((db, i) =>
            db.files.claimNew({ path, name: 'r.csv', size: 1 }, { instanceId: `i${i}`, leaseMs: 60_000 }),
          ),
        ),
      );
      const won = paths.map((_p, i) => [claims[2 * i], claims[2 * i + 1]].filter((c) => c !== null).length);
      expect(won).toEqual(same(paths.map(() => 1))[dialect]);
    });

    it('lets a reader see the old rows or the new ones during replaces, never an empty or partial table', async () => {
      const db = await target.open();
      const table = uniqueTable('reader');
      const version = (v: number, n: number): DbValue[][] => Array.from({ length: n }, (_, i) => [`C${i}`, `v${v}`, v]);
      await loadRows(db, { table, columns: cols }, version(0, 50));
      const seen = new Set<string>();
      let writing = true;
      const reader = (async () => {
        while (writing) {
          const rows = await readAll(db, table);
          seen.add(`${rows.length}:${new Set(rows.map((r) => r[1])).size}`);
        }
      })();
      for (let v = 1; v <= 4; v++) await loadRows(db, { table, columns: cols }, version(v, 50 + v));
      writing = false;
      await reader;
      // Every read saw one whole version: 50–54 rows, all of the same version.
      for (const s of seen) expect(s).toMatch(/^5[0-4]:1$/);
      expect(await readAll(db, table)).toEqual(same(version(4, 54))[dialect]);
    });

    it('widens an int column to bigint in a new table: staged rows and their lines stay, a bigint past 2^53 written after is exact', async () => {
      const db = await target.open();
      const table = uniqueTable('widenbig');
      const columns: ColumnDef[] = [
        { name: 'id', type: { kind: 'int' }, nullable: false },
        { name: 'name', type: { kind: 'text' }, nullable: true },
      ];
      const session = await db.beginLoad({ table, columns, keyColumns: ['id'] });
      await session.write(
        staged([
          [1, 'one'],
          [2, 'two'],
          [1, 'one again'],
        ]),
      );
      await session.widen([{ column: 'ID', type: { kind: 'bigint' } }]);
      await session.write(
        staged(
          [
            [9007199254740993n, 'past 2^53'],
            [12345678901, 'eleven digits'],
            [-9223372036854775808n, 'smallest'],
          ],
          5,
        ),
      );
      const report = await session.validate();
      expect(report.duplicateKeys.map((r) => [r.line, r.column, r.value])).toEqual(same([[4, 'id', '1']])[dialect]);
      expect(report.conversionErrors).toEqual([]);
      expect(report.stagedRows).toBe(5);
      expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 5 });
      expect((await db.describeTable(table))?.columns).toEqual(
        same([
          { name: 'id', type: { kind: 'bigint' }, nullable: false },
          { name: 'name', type: { kind: 'text' }, nullable: true },
        ])[dialect],
      );
      const rows = (await readAll(db, table)).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
      expect(rows).toEqual(
        same([
          [12345678901n, 'eleven digits'],
          [1n, 'one'],
          [9007199254740993n, 'past 2^53'],
          [-9223372036854775808n, 'smallest'],
          [2n, 'two'],
        ])[dialect],
      );
    });

    it('widens an int column to decimal(38,2): integers staged before read back as exact decimals, decimal text after, and the table is decimal(38,2)', async () => {
      const db = await target.open();
      const table = uniqueTable('widendec');
      const columns: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'rate', type: { kind: 'int' }, nullable: true },
      ];
      const session = await db.beginLoad({ table, columns });
      await session.write(
        staged([
          ['A', 5],
          ['B', -7],
          ['C', null],
          ['D', 2147483647],
        ]),
      );
      await session.widen([{ column: 'rate', type: { kind: 'decimal', precision: 38, scale: 2 } }]);
      await session.write(
        staged(
          [
            ['E', '12.5'],
            ['F', '-0.01'],
            ['G', '123456789012345678901234567890123456.78'],
            ['H', '1.234'],
            ['I', '3'],
          ],
          6,
        ),
      );
      const report = await session.validate();
      expect(report.conversionErrors.map((r) => [r.line, r.column])).toEqual(same([[9, 'rate']])[dialect]);
      expect(report.stagedRows).toBe(8);
      expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 8 });
      expect(await db.describeTable(table)).toEqual(
        same({
          name: table,
          columns: [columns[0], { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 2 }, nullable: true }],
          rowCount: 8,
        })[dialect],
      );
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['A', '5'],
          ['B', '-7'],
          ['C', null],
          ['D', '2147483647'],
          ['E', '12.5'],
          ['F', '-0.01'],
          ['G', '123456789012345678901234567890123456.78'],
          ['I', '3'],
        ])[dialect],
      );
    });

    it('widens decimal(20,2) to decimal(24,6) and then decimal(38,6) in a replace of an existing table, snapshotting the old one; a smaller precision is refused', async () => {
      const db = await target.open();
      const table = uniqueTable('widenrep');
      const narrow: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'rate', type: { kind: 'decimal', precision: 20, scale: 2 }, nullable: false },
      ];
      await loadRows(db, { table, columns: narrow }, [
        ['A', '1.25'],
        ['B', '2'],
      ]);
      const session = await db.beginLoad({ table, columns: narrow, keyColumns: ['code'] });
      await session.write(
        staged([
          ['A', '1.5'],
          ['B', '3.25'],
        ]),
      );
      await session.validate();
      await session.widen([{ column: 'rate', type: { kind: 'decimal', precision: 24, scale: 6 } }]);
      await session.widen([{ column: 'rate', type: { kind: 'decimal', precision: 38, scale: 6 } }]);
      await expect(
        session.widen([{ column: 'rate', type: { kind: 'decimal', precision: 30, scale: 6 } }]),
      ).rejects.toMatchObject({
        code: 'DB_OPTION_INVALID',
        message: expect.stringMatching(/precision may not shrink/),
      });
      await session.write(staged([['C', '0.123456']], 4));
      const outcome = await session.commit();
      expect(outcome).toMatchObject({
        status: 'applied',
        mode: 'replace',
        rowsLoaded: 3,
        changes: { added: 1, removed: 0, changed: 2, unchanged: 0 },
      });
      expect((await db.describeTable(table))?.columns).toEqual(
        same([narrow[0], { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 6 }, nullable: false }])[
          dialect
        ],
      );
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['A', '1.5'],
          ['B', '3.25'],
          ['C', '0.123456'],
        ])[dialect],
      );
      await db.restoreBackup(table, takenBy(outcome));
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['A', '1.25'],
          ['B', '2'],
        ])[dialect],
      );
    });

    it('sets aside staged decimals whose integer digits a larger scale at precision 38 no longer holds, reported by validate', async () => {
      const db = await target.open();
      const table = uniqueTable('widendig');
      const columns: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 2 }, nullable: true },
      ];
      const session = await db.beginLoad({ table, columns, keyColumns: ['code'] });
      // 35 integer digits fit decimal(38,2) (36), not decimal(38,6) (32).
      await session.write(
        staged([
          ['A', '12345678901234567890123456789012345.5'],
          ['B', '-1.25'],
          ['C', null],
          ['D', '-12345678901234567890123456789012.5'],
        ]),
      );
      await session.widen([{ column: 'rate', type: { kind: 'decimal', precision: 38, scale: 6 } }]);
      await session.write(staged([['E', '0.123456']], 6));
      const report = await session.validate();
      expect(report.conversionErrors.map((r) => [r.line, r.column, r.value])).toEqual([
        [2, 'rate', '12345678901234567890123456789012345.5'],
      ]);
      expect(report.stagedRows).toBe(4);
      expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 4 });
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['B', '-1.25'],
          ['C', null],
          ['D', '-12345678901234567890123456789012.5'],
          ['E', '0.123456'],
        ])[dialect],
      );
    });

    it('applies widenings before a commit without validate(), keeping the decimals a larger scale no longer holds with the file', async () => {
      const db = await target.open();
      const table = uniqueTable('widennov');
      const fileId = 800_000 + Math.floor(Math.random() * 100_000);
      const columns: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 2 }, nullable: true },
        { name: 'n', type: { kind: 'int' }, nullable: true },
      ];
      const session = await db.beginLoad({ table, columns, fileId });
      await session.write(
        staged([
          ['A', '12345678901234567890123456789012345.5', 1],
          ['B', '-1.25', 2],
        ]),
      );
      await session.widen([
        { column: 'rate', type: { kind: 'decimal', precision: 38, scale: 6 } },
        { column: 'n', type: { kind: 'bigint' } },
      ]);
      await session.write(staged([['C', '0.123456', 12345678901n]], 4));
      await session.widen([{ column: 'rate', type: { kind: 'decimal', precision: 38, scale: 7 } }]);
      await session.write(staged([['D', '0.0000001', 3]], 5));
      expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 3 });
      expect((await db.listRejects(fileId)).map((r) => [r.line, r.column])).toEqual([[2, 'rate']]);
      expect((await db.describeTable(table))?.columns.map((c) => c.type)).toEqual([
        { kind: 'text', maxLength: 3 },
        { kind: 'decimal', precision: 38, scale: 7 },
        { kind: 'bigint' },
      ]);
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['B', '-1.25', 2n],
          ['C', '0.123456', 12345678901n],
          ['D', '0.0000001', 3n],
        ])[dialect],
      );
    });

    it('refuses a narrowing, a change of kind, a repeated or unknown column with DB_OPTION_INVALID, applies none of a refused call, and the session carries on', async () => {
      const db = await target.open();
      const table = uniqueTable('widenbad');
      await loadRows(db, { table, columns: cols }, [['EUR', 'Euro', 2]]);
      const before = await tableState(db, table);
      const columns: ColumnDef[] = [
        { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
        { name: 'amount', type: { kind: 'decimal', precision: 38, scale: 4 }, nullable: true },
        { name: 'n', type: { kind: 'int' }, nullable: true },
        { name: 'big', type: { kind: 'bigint' }, nullable: true },
      ];
      const session = await db.beginLoad({ table, columns, force: true });
      await session.write(staged([['AAA', '1.5', 1, 10n]]));
      const refused = (changes: Parameters<typeof session.widen>[0], message: RegExp) =>
        expect(session.widen(changes)).rejects.toMatchObject({
          code: 'DB_OPTION_INVALID',
          message: expect.stringMatching(message),
        });
      await refused([{ column: 'amount', type: { kind: 'decimal', precision: 38, scale: 2 } }], /scale may not shrink/);
      await refused(
        [{ column: 'amount', type: { kind: 'decimal', precision: 20, scale: 4 } }],
        /precision may not shrink/,
      );
      await refused(
        [{ column: 'n', type: { kind: 'decimal', precision: 11, scale: 2 } }],
        /at least 10 integer digits/,
      );
      await refused(
        [{ column: 'big', type: { kind: 'decimal', precision: 20, scale: 2 } }],
        /at least 19 integer digits/,
      );
      await refused([{ column: 'n', type: { kind: 'text' } }], /int cannot widen to text/);
      await refused([{ column: 'code', type: { kind: 'text' } }], /cannot widen/);
      await refused([{ column: 'big', type: { kind: 'int' } }], /bigint cannot widen to int/);
      await refused([{ column: 'amount', type: { kind: 'decimal', precision: 39, scale: 4 } }], /precision 39/);
      await refused([{ column: 'nope', type: { kind: 'bigint' } }], /no such column/);
      await refused(
        [
          { column: 'n', type: { kind: 'bigint' } },
          { column: 'N', type: { kind: 'bigint' } },
        ],
        /twice/,
      );
      // One refused change refuses the call: n stays int.
      await refused(
        [
          { column: 'n', type: { kind: 'bigint' } },
          { column: 'amount', type: { kind: 'decimal', precision: 38, scale: 2 } },
        ],
        /scale may not shrink/,
      );
      await session.widen([{ column: 'n', type: { kind: 'int' } }]); // the same type: nothing to do
      expect(await tableState(db, table)).toEqual(before);
      await session.write(
        staged(
          [
            ['BBB', '2', 12345678901, null],
            ['CCC', null, 3, null],
          ],
          3,
        ),
      );
      const report = await session.validate();
      expect(report.conversionErrors.map((r) => [r.line, r.column])).toEqual(same([[3, 'n']])[dialect]);
      expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 2 });
      expect((await db.describeTable(table))?.columns).toEqual(same(columns)[dialect]);
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['AAA', '1.5', 1, 10n],
          ['CCC', null, 3, null],
        ])[dialect],
      );
    });

    it('refuses to widen a column an upsert or append takes from the existing table, and allows it for a table or column the load creates', async () => {
      const db = await target.open();
      const table = uniqueTable('widenups');
      await loadRows(db, { table, columns: cols }, [['EUR', 'Euro', 2]]);
      const before = await tableState(db, table);
      const upsert = await db.beginLoad({ table, columns: cols, mode: 'upsert', keyColumns: ['code'] });
      await upsert.write(staged([['USD', 'Dollar', 2]]));
      await expect(upsert.widen([{ column: 'minor', type: { kind: 'bigint' } }])).rejects.toMatchObject({
        code: 'DB_OPTION_INVALID',
        message: expect.stringMatching(/upsert keeps the types of the existing table/),
      });
      expect(await tableState(db, table)).toEqual(before);
      await upsert.abort();
      expect(await tableState(db, table)).toEqual(before);

      // A column the append adds to the table: its type is the load's to set.
      const wider: ColumnDef[] = [...cols, { name: 'big', type: { kind: 'int' }, nullable: true }];
      const append = await db.beginLoad({ table, columns: wider, mode: 'append', addMissingColumns: true });
      await append.write(staged([['GBP', 'Pound', 2, 1]]));
      await expect(append.widen([{ column: 'minor', type: { kind: 'bigint' } }])).rejects.toMatchObject({
        code: 'DB_OPTION_INVALID',
      });
      await append.widen([{ column: 'big', type: { kind: 'bigint' } }]);
      await append.write(staged([['JPY', 'Yen', 0, 99999999999n]], 3));
      expect(await append.commit()).toMatchObject({ status: 'applied', rowsLoaded: 2 });
      expect((await db.describeTable(table))?.columns.map((c) => c.type.kind)).toEqual(
        same(['text', 'text', 'int', 'bigint'])[dialect],
      );
      expect(sortRows(await readAll(db, table))).toEqual(
        same([
          ['EUR', 'Euro', 2, null],
          ['GBP', 'Pound', 2, 1n],
          ['JPY', 'Yen', 0, 99999999999n],
        ])[dialect],
      );

      // An append that creates its table sets every type.
      const fresh = uniqueTable('widenapp');
      const created = await db.beginLoad({ table: fresh, columns: cols, mode: 'append' });
      await created.widen([{ column: 'minor', type: { kind: 'bigint' } }]);
      await created.write(staged([['EUR', 'Euro', 4294967296n]]));
      expect(await created.commit()).toMatchObject({ status: 'applied', rowsLoaded: 1 });
      expect(await readAll(db, fresh)).toEqual(same([['EUR', 'Euro', 4294967296n]])[dialect]);
    });

    it('widens after more than 10,000 staged rows (on SQL Server, with a streamed bulk load in flight) and keeps every row', async () => {
      const db = await target.open();
      const table = uniqueTable('widenbulk');
      const columns: ColumnDef[] = [
        { name: 'id', type: { kind: 'int' }, nullable: false },
        { name: 'amount', type: { kind: 'int' }, nullable: true },
      ];
      const session = await db.beginLoad({ table, columns, keyColumns: ['id'] });
      const batch = 1000;
      let line = 2;
      for (let start = 0; start < 12_000; start += batch) {
        const rows = Array.from({ length: batch }, (_, i) => [start + i, (start + i) * 3]);
        await session.write(staged(rows, line));
        line += batch;
      }
      await session.widen([
        { column: 'id', type: { kind: 'bigint' } },
        { column: 'amount', type: { kind: 'decimal', precision: 38, scale: 3 } },
      ]);
      const after = Array.from({ length: batch }, (_, i) => [
        10_000_000_000n + BigInt(i),
        `${i}.${String(i % 1000).padStart(3, '0')}`,
      ]);
      await session.write(staged(after, line));
      const report = await session.validate();
      expect([report.stagedRows, report.duplicateKeys.length, report.conversionErrors.length]).toEqual(
        same([13_000, 0, 0])[dialect],
      );
      expect(await session.commit()).toMatchObject({ status: 'applied', rowsLoaded: 13_000 });
      const rows = await readAll(db, table);
      const byId = new Map(rows.map((r) => [String(r[0]), r[1]]));
      expect(byId.size).toBe(13_000);
      expect([byId.get('0'), byId.get('11999'), byId.get('10000000000'), byId.get('10000000999')]).toEqual(
        same(['0', '35997', '0', '999.999'])[dialect],
      );
      const expected = new Map<string, DbValue>();
      for (let i = 0; i < 12_000; i++) expected.set(String(i), String(i * 3));
      for (const [id, amount] of after) expected.set(String(id), String(amount).replace(/\.?0+$/, '') || '0');
      expect(byId).toEqual(expected);
    });

    it('records audit events and rejected rows per file', async () => {
      const db = await target.open();
      const fileId = 800_000 + Math.floor(Math.random() * 100_000);
      await db.recordAudit({ fileId, step: 'detect', outcome: 'ok', durationMs: 3, details: { delimiter: ';' } });
      await db.recordAudit({ fileId, step: 'stage', outcome: 'error', details: { message: 'Zürich € 漢字 😀' } });
      expect((await db.listAudit(fileId)).map((a) => [a.step, a.outcome, a.details])).toEqual(
        same([
          ['detect', 'ok', { delimiter: ';' }],
          ['stage', 'error', { message: 'Zürich € 漢字 😀' }],
        ])[dialect],
      );
      await db.recordRejects(fileId, [{ line: 3, raw: 'a;b', column: 'x', value: 'b', reason: 'not a number' }]);
      expect(await db.listRejects(fileId)).toEqual(
        same([{ line: 3, raw: 'a;b', column: 'x', value: 'b', reason: 'not a number' }])[dialect],
      );
      // A row rejected for a NUL character is recorded too: Babelfish cannot store U+0000, so
      // SQL Server's tracking shows it as ␀ (U+2400); SQLite keeps it.
      await db.recordRejects(fileId, [{ line: 4, raw: 'c;n\u0000x', column: 'x', value: 'n\u0000x', reason: 'NUL' }]);
      const nul: Record<Dialect, { raw: string; value: string }> = {
        sqlite: { raw: 'c;n\u0000x', value: 'n\u0000x' },
        mssql: { raw: 'c;n\u2400x', value: 'n\u2400x' },
      };
      expect((await db.listRejects(fileId)).find((r) => r.line === 4)).toMatchObject(nul[dialect]);
    });
  });
}
