// 1,000 adversarial and random names as columns and tables: each loads under its exact name or fails clearly.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTableSql as mssqlCreateTable, upsertInsertSql } from '../src/dialect/mssql/mssql-sql.js';
import { createTableSql as sqliteCreateTable } from '../src/dialect/sqlite/sqlite-sql.js';
import { quoteMssqlIdentifier, quoteSqliteIdentifier } from '../src/identifiers.js';
import type { ColumnDef } from '../src/index.js';
import { isDbError } from '../src/index.js';
import { load, openTempSqlite, readAll } from './helpers.js';

const ADVERSARIAL: readonly string[] = [
  'name',
  'Name',
  'NAME',
  '"',
  '""',
  'a"b',
  '"; DROP TABLE "ref.sentinel"; --',
  "'; DROP TABLE x; --",
  ']',
  '[',
  '[x]',
  'a]b',
  ']]; DROP TABLE [ref].[sentinel]; --',
  ';',
  'a;b',
  '--',
  '-- comment',
  '/*',
  '*/',
  '/* x */',
  'select',
  'SELECT',
  'from',
  'table',
  'order',
  'group',
  'where',
  'index',
  'primary',
  'key',
  'null',
  'NULL',
  'rowid',
  'oid',
  '_rowid_',
  'sqlite_master',
  'ref.sentinel',
  'bkp.catalogue',
  'refdata.files',
  '__refdata_line',
  '😀',
  '漢字',
  'Zürich',
  'e\u0301',
  'é',
  ' ',
  ' leading',
  'trailing ',
  '',
  'tab\there',
  'new\nline',
  'nul\u0000byte',
  'del\u007f',
  '\u2028',
  'lone\ud800surrogate',
  'x'.repeat(128),
  'x'.repeat(129),
  'y'.repeat(200),
  '%',
  '_',
  '?',
  '?1',
  ':name',
  '@p0',
  '$x',
  '\\',
  '`',
  '``',
  'a.b',
  '.',
  '..',
  '0',
  '123abc',
  '-',
];

function namesToTry(): string[] {
  const random = fc.sample(
    fc.oneof(
      fc.string({ minLength: 0, maxLength: 40, unit: 'binary' }),
      fc.string({
        minLength: 1,
        maxLength: 12,
        unit: fc.constantFrom('"', "'", '[', ']', ';', '-', '/', '*', ' ', 'a', 'B', '😀', '\u0000', '\n'),
      }),
      fc.string({ minLength: 120, maxLength: 140 }),
    ),
    { numRuns: 1000 - ADVERSARIAL.length, seed: 20250101 },
  );
  return [...ADVERSARIAL, ...random];
}

const textColumn = (name: string): ColumnDef => ({ name, type: { kind: 'text' }, nullable: true });

describe('identifier fuzz', () => {
  it('loads 1,000 random and adversarial names as columns (and some as tables) or rejects them clearly; nothing else is touched', async () => {
    const { db, path } = await openTempSqlite();
    await load(db, 'sentinel', [textColumn('v')], [['keep me']]);
    const names = namesToTry();
    expect(names).toHaveLength(1000);
    const expectedTables = new Set(['ref.sentinel']);
    let loaded = 0;
    let rejected = 0;
    for (const [i, name] of names.entries()) {
      const asTable = i % 4 === 0;
      const table = asTable ? name : `fuzz_${i}`;
      const columns = asTable ? [textColumn('v')] : [textColumn(name), textColumn(`other_${i}`)];
      const values = asTable ? [`value ${i}`] : [`value ${i}`, 'o'];
      try {
        await load(db, table, columns, [values]);
      } catch (err) {
        // Either a clear identifier error or nothing: never a SQL syntax error.
        expect(isDbError(err) && err.code, `${JSON.stringify(name)}: ${(err as Error).message}`).toBe(
          'DB_IDENTIFIER_INVALID',
        );
        expect((err as Error).message).toMatch(/rename|reserved|differ only in case|at most/);
        rejected++;
        continue;
      }
      loaded++;
      expectedTables.add(`ref.${table}`);
      const description = await db.describeTable(table);
      expect(description?.columns.map((c) => c.name)).toEqual(columns.map((c) => c.name));
      expect(await readAll(db, table)).toEqual([values]);
    }
    // Names equal but for case cannot both be columns.
    await expect(load(db, 'pair', [textColumn('Code'), textColumn('CODE')], [['a', 'b']])).rejects.toMatchObject({
      code: 'DB_IDENTIFIER_INVALID',
    });
    expect(loaded).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(20);
    expect(await readAll(db, 'sentinel')).toEqual([['keep me']]);
    const raw = new Database(path, { readonly: true });
    try {
      const live = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) = 'ref.'")
        .pluck()
        .all() as string[];
      expect(new Set(live.map((n) => n.toLowerCase()))).toEqual(
        new Set([...expectedTables].map((n) => n.toLowerCase())),
      );
      expect(raw.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'stg.%'").pluck().get()).toBe(0);
    } finally {
      raw.close();
    }
  }, 120_000);

  it('quotes every name so it parses back to itself and cannot end the identifier early (both dialects)', () => {
    const mssqlIdent = /\[[^\]]*\]|"(?:[^"]|"")*"/g;
    const sqliteIdent = /"(?:[^"]|"")*"/g;
    for (const name of namesToTry()) {
      const m = quoteMssqlIdentifier(name);
      expect(m.startsWith('"') ? m.slice(1, -1).replaceAll('""', '"') : m.slice(1, -1)).toBe(name);
      expect(m.match(mssqlIdent)).toEqual([m]);
      const s = quoteSqliteIdentifier(name);
      expect(s.slice(1, -1).replaceAll('""', '"')).toBe(name);
      expect(s.match(sqliteIdent)).toEqual([s]);
      const cols = [textColumn(name), textColumn('k')];
      expect(mssqlCreateTable('ref', name, cols).replace(mssqlIdent, '[X]')).toBe(
        'CREATE TABLE [X].[X] ([X] NVARCHAR(MAX) NULL, [X] NVARCHAR(MAX) NULL);',
      );
      expect(upsertInsertSql(name, name, ['k'], [name, 'k']).replace(mssqlIdent, '[X]')).toBe(
        'INSERT INTO [X].[X] ([X], [X]) SELECT s.[X], s.[X] FROM [X].[X] AS s WHERE NOT EXISTS (SELECT 1 FROM [X].[X] AS l WITH (UPDLOCK, HOLDLOCK) WHERE l.[X] = s.[X]) ORDER BY s.[X];',
      );
      expect(sqliteCreateTable(`ref.${name}`, cols).replace(sqliteIdent, '"X"')).toBe(
        'CREATE TABLE "X" ("X" TEXT, "X" TEXT)',
      );
    }
  });
});
