/**
 * A tiny in-memory stand-in for SQL Server that understands exactly the statements the dialect's
 * builders emit (matched by shape, not parsed as T-SQL), so the orchestration of loads, backups and
 * tracking can be exercised without a server. It proves the order and effect of our statements,
 * not SQL Server's semantics.
 */
import { onTestFinished } from 'vitest';
import { MssqlDatabase } from '../src/dialect/mssql/mssql-database.js';
import { loadTarn } from '../src/dialect/mssql/tedious-like.js';
import type { Database } from '../src/index.js';
import { type MssqlUrl, parseDatabaseUrl } from '../src/url.js';
import { type FakeBulk, type FakeResponse, type FakeStatement, fakeTedious, recordingLogger } from './mssql-fakes.js';

interface Column {
  name: string;
  typeName: string;
  maxLength: number;
  precision: number;
  scale: number;
  nullable: boolean;
}
interface Table {
  schema: string;
  name: string;
  columns: Column[];
  rows: unknown[][];
}

const IDENT = /\[((?:[^\]]|\]\])*)\]/g;
const unq = (s: string): string => s.replaceAll(']]', ']');
const idents = (sql: string): string[] => [...sql.matchAll(IDENT)].map((m) => unq(m[1] as string));
const key = (schema: string, name: string): string => `${schema}.${name}`.toLowerCase();

function parseType(def: string): Omit<Column, 'name' | 'nullable'> {
  const m = /^(\w+)(?:\((MAX|\d+)(?:,(\d+))?\))?/.exec(def.trim()) as RegExpExecArray;
  const typeName = (m[1] as string).toLowerCase();
  const a = m[2] === 'MAX' ? -1 : m[2] === undefined ? 0 : Number(m[2]);
  const b = m[3] === undefined ? 0 : Number(m[3]);
  if (typeName === 'nvarchar') return { typeName, maxLength: a < 0 ? -1 : a * 2, precision: 0, scale: 0 };
  if (typeName === 'decimal') return { typeName, maxLength: 17, precision: a, scale: b };
  if (['datetime2', 'datetimeoffset', 'time'].includes(typeName))
    return { typeName, maxLength: 8, precision: 0, scale: a };
  return { typeName, maxLength: 8, precision: 0, scale: 0 };
}

/** The fake server's state and its statement handler. */
export function fakeServer(engine: 'sqlserver' | 'babelfish' = 'sqlserver'): {
  respond: (s: FakeStatement) => FakeResponse;
  onBulk: (b: FakeBulk) => void;
  tables: Map<string, Table>;
  log: string[];
  catalogue: Record<string, unknown>[];
  audit: Record<string, unknown>[];
  /** Staged text values the fake "server" refuses to convert (simulating a TRY_CONVERT failure). */
  unconvertible: Set<string>;
  /** Rows of [refdata].[files]. */
  files: Record<string, unknown>[];
} {
  const unconvertible = new Set<string>();
  const tables = new Map<string, Table>();
  const log: string[] = [];
  const catalogue: Record<string, unknown>[] = [];
  const audit: Record<string, unknown>[] = [];
  const commits = new Map<string, string>();
  const datasets = new Map<string, Record<string, unknown>>();
  const files: Record<string, unknown>[] = [];
  let version = 0;
  const param = (s: FakeStatement, name: string): unknown => s.params.find((p) => p.name === name)?.value;
  const table = (schema: string, name: string): Table | undefined => tables.get(key(schema, name));
  const parseTwoPart = (text: string): [string, string] => idents(text) as [string, string];
  const colIndex = (t: Table, name: string): number =>
    t.columns.findIndex((c) => c.name.toLowerCase() === name.toLowerCase());
  const keyOf = (t: Table, r: unknown[], keys: readonly string[]): string =>
    keys.map((k) => String(r[colIndex(t, k)]).toLowerCase()).join('\u0000');

  const respond = (s: FakeStatement): FakeResponse => {
    const sql = s.sql;
    const head = sql.slice(0, 60);
    if (sql === 'SELECT 1 AS [ok];') return { rows: [{ ok: 1 }] };
    if (sql.startsWith("SELECT CAST(SERVERPROPERTY('Babelfish') AS int)")) {
      return engine === 'babelfish'
        ? { rows: [{ babelfish: 1, version: 'Babelfish for PostgreSQL with SQL Server Compatibility - 12.0.2000.8' }] }
        : { rows: [{ babelfish: null, version: 'Microsoft SQL Server 2022 (RTM) - 16.0.1000.6 (X64)' }] };
    }
    if (sql.startsWith("DECLARE @r INT; EXEC @r = sp_getapplock @Resource = N'refdata.migrate'")) {
      log.push('lock refdata.migrate');
      return {};
    }
    if (sql.startsWith('IF SCHEMA_ID') || sql.startsWith('EXEC sp_getapplock') || /^CREATE (UNIQUE )?INDEX/.test(sql))
      return {};
    if (
      sql.startsWith('SELECT COALESCE(MAX(version), 0)') ||
      sql.startsWith("SELECT CASE WHEN OBJECT_ID(N'[refdata].[schema_version]'")
    ) {
      return { rows: [{ v: version }] };
    }
    if (sql.startsWith('INSERT INTO [refdata].[schema_version]')) {
      version = param(s, 'v') as number;
      return { rowCount: 1 };
    }
    if (sql.startsWith("SELECT t.name AS [name] FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(N'stg')"))
      return { rows: [] };
    if (sql.startsWith('SELECT t.name AS [name] FROM sys.tables')) {
      return { rows: [...tables.values()].filter((t) => t.schema === 'ref').map((t) => ({ name: t.name })) };
    }
    if (sql.startsWith('CREATE TABLE')) {
      const [schema, name] = parseTwoPart(sql.slice(13, sql.indexOf(' (')));
      const body = sql.slice(sql.indexOf(' (') + 2, sql.lastIndexOf(')'));
      if (schema === 'refdata' || (schema === 'bkp' && name === 'catalogue')) return {};
      const columns: Column[] = [];
      for (const m of body.matchAll(
        /\[((?:[^\]]|\]\])*)\] ([A-Z0-9]+(?:\((?:MAX|\d+(?:,\d+)?)\))?) (NOT NULL|NULL)/g,
      )) {
        columns.push({ name: unq(m[1] as string), ...parseType(m[2] as string), nullable: m[3] === 'NULL' });
      }
      tables.set(key(schema, name), { schema, name, columns, rows: [] });
      log.push(`create ${schema}.${name}`);
      return {};
    }
    if (sql === "SELECT OBJECT_ID(@name, N'U') AS [id];") {
      const [schema, name] = parseTwoPart(param(s, 'name') as string);
      return { rows: [{ id: table(schema, name) === undefined ? null : 1 }] };
    }
    if (sql.startsWith('SELECT COLUMN_NAME AS [name], DATA_TYPE AS [type_name]')) {
      const t = table(param(s, 'schema') as string, param(s, 'table') as string);
      return {
        rows: (t?.columns ?? []).map((c) => ({
          name: c.name,
          type_name: c.typeName,
          char_length: c.typeName === 'nvarchar' ? (c.maxLength < 0 ? -1 : c.maxLength / 2) : null,
          precision: c.typeName === 'decimal' ? c.precision : null,
          scale: c.scale,
          nullable: c.nullable ? 'YES' : 'NO',
        })),
      };
    }
    if (sql.startsWith('SELECT COUNT_BIG(*) AS [n] FROM') && sql.includes('BETWEEN @first AND @last')) {
      const [schema, name] = idents(sql.slice(sql.indexOf(' FROM '))) as [string, string];
      const [first, last] = [Number(param(s, 'first')), Number(param(s, 'last'))];
      const n = (table(schema, name)?.rows ?? []).filter((r) => Number(r[0]) >= first && Number(r[0]) <= last).length;
      return { rows: [{ n: String(n) }] };
    }
    if (sql.startsWith('SELECT COUNT_BIG(*) AS [n] FROM') && !sql.includes('BETWEEN')) {
      const [schema, name] = idents(sql.slice(sql.indexOf(' FROM '))) as [string, string];
      return { rows: [{ n: String(table(schema, name)?.rows.length ?? 0) }] };
    }
    if (sql.startsWith('EXEC sp_rename')) {
      const [schema, name] = parseTwoPart(param(s, 'objname') as string);
      const t = table(schema, name) as Table;
      tables.delete(key(schema, name));
      t.name = param(s, 'newname') as string;
      tables.set(key(schema, t.name), t);
      log.push(`rename ${schema}.${name} -> ${t.name}`);
      return {};
    }
    if (sql.startsWith('ALTER SCHEMA')) {
      const [to, schema, name] = idents(sql) as [string, string, string];
      const t = table(schema, name) as Table;
      tables.delete(key(schema, name));
      t.schema = to;
      tables.set(key(to, name), t);
      log.push(`transfer ${schema}.${name} -> ${to}`);
      return {};
    }
    if (sql.startsWith('ALTER TABLE [bkp].[catalogue] ADD')) return {};
    if (sql.startsWith('ALTER TABLE') && sql.includes('DROP COLUMN')) {
      const [schema, name, column] = idents(sql) as [string, string, string];
      const t = table(schema, name) as Table;
      const i = colIndex(t, column);
      t.columns.splice(i, 1);
      t.rows = t.rows.map((r) => r.filter((_v, j) => j !== i));
      log.push(column === '__refdata_line' ? `drop line column ${schema}.${name}` : `drop column ${name}.${column}`);
      return {};
    }
    // Delta snapshots (keyed appends and upserts) and their undo.
    let m =
      /^INSERT INTO \[bkp\]\.\[([^\]]*)\] \(([^)]*)\) SELECT .* FROM \[ref\]\.\[([^\]]*)\] AS l WHERE EXISTS \(SELECT 1 FROM \[stg\]\.\[([^\]]*)\] AS s WHERE (.*)\);$/.exec(
        sql,
      );
    if (m !== null) {
      const [snap, live, typed] = [table('bkp', m[1]!)!, table('ref', m[3]!)!, table('stg', m[4]!)!];
      const keys = [...m[5]!.matchAll(/s\.\[([^\]]*)\] = /g)].map((k) => k[1]!);
      const staged = new Set(typed.rows.map((r) => keyOf(typed, r, keys)));
      const hits = live.rows.filter((r) => staged.has(keyOf(live, r, keys)));
      snap.rows.push(
        ...hits.map((r) => snap.columns.map((c) => (colIndex(live, c.name) < 0 ? null : r[colIndex(live, c.name)]))),
      );
      log.push(`pre-images ref.${live.name} -> bkp.${snap.name}`);
      return { rowCount: hits.length };
    }
    m = /^INSERT INTO \[bkp\]\.\[([^\]]*)\] \(([^)]*)\) SELECT [^;]* FROM \[stg\]\.\[([^\]]*)\];$/.exec(sql);
    if (m !== null) {
      const [snap, typed, columns] = [table('bkp', m[1]!)!, table('stg', m[3]!)!, idents(m[2]!)];
      snap.rows.push(
        ...typed.rows.map((r) =>
          snap.columns.map((c) =>
            columns.some((n) => n.toLowerCase() === c.name.toLowerCase()) ? r[colIndex(typed, c.name)] : null,
          ),
        ),
      );
      log.push(`keys stg -> bkp.${snap.name}`);
      return { rowCount: typed.rows.length };
    }
    m =
      /^DELETE FROM \[ref\]\.\[([^\]]*)\] WHERE EXISTS \(SELECT 1 FROM \[bkp\]\.\[([^\]]*)\] AS d WHERE d\.\[__refdata_line\] IS NOT NULL AND (.*)\);$/.exec(
        sql,
      );
    if (m !== null) {
      const [live, snap] = [table('ref', m[1]!)!, table('bkp', m[2]!)!];
      const keys = [...m[3]!.matchAll(/d\.\[([^\]]*)\] = /g)].map((k) => k[1]!);
      const line = colIndex(snap, '__refdata_line');
      const written = new Set(snap.rows.filter((r) => r[line] !== null).map((r) => keyOf(snap, r, keys)));
      const before = live.rows.length;
      live.rows = live.rows.filter((r) => !written.has(keyOf(live, r, keys)));
      log.push(`undo delete ref.${live.name} by bkp.${snap.name}`);
      return { rowCount: before - live.rows.length };
    }
    m =
      /^INSERT INTO \[ref\]\.\[([^\]]*)\] \(([^)]*)\) SELECT [^;]* FROM \[bkp\]\.\[([^\]]*)\] WHERE \[__refdata_line\] IS NULL;$/.exec(
        sql,
      );
    if (m !== null) {
      const [live, snap] = [table('ref', m[1]!)!, table('bkp', m[3]!)!];
      const line = colIndex(snap, '__refdata_line');
      const images = snap.rows.filter((r) => r[line] === null);
      live.rows.push(...images.map((r) => live.columns.map((c) => r[colIndex(snap, c.name)])));
      log.push(`undo insert ref.${live.name} from bkp.${snap.name}`);
      return { rowCount: images.length };
    }
    if (sql.startsWith('ALTER TABLE') && sql.includes(' ADD ')) {
      const [schema, name, column] = idents(sql) as [string, string, string];
      const t = table(schema, name) as Table;
      t.columns.push({ name: column, ...parseType(sql.slice(sql.lastIndexOf('] ') + 2)), nullable: true });
      t.rows = t.rows.map((r) => [...r, null]);
      return {};
    }
    if (sql.startsWith('DROP TABLE IF EXISTS')) {
      const [schema, name] = idents(sql) as [string, string];
      if (tables.delete(key(schema, name))) log.push(`drop ${schema}.${name}`);
      return {};
    }
    if (sql.startsWith('SELECT * INTO')) {
      const [toSchema, toName, fromSchema, fromName] = idents(sql) as [string, string, string, string];
      const from = table(fromSchema, fromName) as Table;
      tables.set(key(toSchema, toName), {
        schema: toSchema,
        name: toName,
        columns: from.columns.map((c) => ({ ...c })),
        rows: from.rows.map((r) => [...r]),
      });
      log.push(`copy ${fromSchema}.${fromName} -> ${toSchema}.${toName}`);
      return {};
    }
    if (/^INSERT INTO \[stg\]\.\[.*\] WITH \(TABLOCK\)/.test(sql)) {
      const names = idents(sql);
      const typed = table('stg', names[1] as string) as Table;
      const staging = table('stg', names[names.length - 2] as string) as Table;
      // The optimistic fill (CONVERT, not TRY_CONVERT) fails as a whole on a value that does not convert.
      const converted = [...sql.matchAll(/(?<!TRY_)CONVERT\([^[]*\[c(\d+)\]/g)].map((m) => Number(m[1]));
      if (staging.rows.some((r) => converted.some((i) => unconvertible.has(String(r[i + 1]))))) {
        return {
          error: Object.assign(new Error('Error converting data type nvarchar to numeric.'), { number: 8114 }),
        };
      }
      typed.rows = [...staging.rows].sort((a, b) => Number(a[0]) - Number(b[0])).map((r) => [...r.slice(1), r[0]]);
      return { rowCount: typed.rows.length };
    }
    if (sql.startsWith('DELETE FROM [ref].')) {
      const [schema, name] = idents(sql) as [string, string];
      const t = table(schema, name) as Table;
      const n = t.rows.length;
      t.rows = [];
      log.push(`delete all ${schema}.${name}`);
      return { rowCount: n };
    }
    if (sql.startsWith('INSERT INTO [ref].') && sql.includes(' FROM [bkp].')) {
      const names = idents(sql);
      const live = table('ref', names[1] as string) as Table;
      const from = table('bkp', names[names.length - 1] as string) as Table;
      live.rows.push(...from.rows.map((r) => [...r]));
      log.push(`refill ref.${live.name} from bkp.${from.name}`);
      return { rowCount: from.rows.length };
    }
    if (sql.startsWith('INSERT INTO [ref].')) {
      const names = idents(sql);
      const live = table('ref', names[1] as string) as Table;
      const typed = [...tables.values()].find(
        (t) => t.schema === 'stg' && sql.includes(`[stg].[${t.name.replaceAll(']', ']]')}]`),
      ) as Table;
      const cols = live.columns.length;
      for (const r of typed.rows)
        live.rows.push(
          [...r.slice(0, cols), ...new Array(Math.max(0, cols - (r.length - 1))).fill(null)].slice(0, cols),
        );
      log.push(`insert into ref.${live.name}`);
      return { rowCount: typed.rows.length };
    }
    if (sql.startsWith('UPDATE l SET')) return { rowCount: 0 };
    if (sql.startsWith('SELECT [line],')) {
      const [schema, name] = idents(sql.slice(sql.indexOf(' FROM '))) as [string, string];
      const t = table(schema, name) as Table;
      const flagged = [...sql.matchAll(/AS \[f(\d+)\]/g)].map((m) => Number(m[1]));
      const rows = t.rows
        .filter((r) => flagged.some((i) => unconvertible.has(String(r[i + 1]))))
        .map((r) => ({
          line: r[0],
          ...Object.fromEntries(r.slice(1).map((v, i) => [`c${i}`, v])),
          ...Object.fromEntries(flagged.map((i) => [`f${i}`, unconvertible.has(String(r[i + 1])) ? 1 : 0])),
        }));
      return { rows };
    }
    if (/^DELETE FROM \[stg\]\.\[[^;]*\] WHERE \(\[c\d+\] IS NOT NULL AND TRY_CONVERT/.test(sql)) {
      const [schema, name] = idents(sql) as [string, string];
      const t = table(schema, name) as Table;
      const flagged = [...sql.matchAll(/\(\[c(\d+)\] IS NOT NULL/g)].map((m) => Number(m[1]));
      const before = t.rows.length;
      t.rows = t.rows.filter((r) => !flagged.some((i) => unconvertible.has(String(r[i + 1]))));
      log.push(`delete ${before - t.rows.length} unconvertible`);
      return { rowCount: before - t.rows.length };
    }
    if (
      sql.startsWith('SELECT [line],') ||
      sql.startsWith('SELECT [__refdata_line] AS [line]') ||
      sql.startsWith('SELECT d.[line]')
    )
      return { rows: [] };
    if (sql.startsWith('DELETE FROM [stg]') && sql.includes('WHERE [line] BETWEEN @first AND @last')) {
      const [schema, name] = idents(sql.slice(sql.indexOf(' FROM '))) as [string, string];
      const [first, last] = [Number(param(s, 'first')), Number(param(s, 'last'))];
      const t = table(schema, name) as Table;
      const before = t.rows.length;
      t.rows = t.rows.filter((r) => Number(r[0]) < first || Number(r[0]) > last);
      return { rowCount: before - t.rows.length };
    }
    if (sql.startsWith('DELETE FROM [stg]') || sql.startsWith('DELETE s FROM') || sql.startsWith('WITH d AS'))
      return { rowCount: 0 };
    if (sql.startsWith('SELECT\n  (SELECT COUNT_BIG(*)'))
      return { rows: [{ added: '1', removed: '0', matched: '1', changed: '1' }] };
    if (sql.startsWith('DECLARE @r INT; EXEC @r = sp_getapplock')) {
      log.push(`lock ${param(s, 'resource') as string}`);
      return {};
    }
    if (sql.startsWith('SELECT MAX(taken_at)')) return { rows: [{ t: null }] };
    if (sql.startsWith('INSERT INTO [bkp].[catalogue]')) {
      catalogue.push({
        snapshot: param(s, 'snapshot'),
        table_name: param(s, 'table'),
        taken_at: param(s, 'taken_at'),
        row_count: String(param(s, 'rows')),
        source_file: param(s, 'source_file'),
        file_id: param(s, 'file_id') === null ? null : String(param(s, 'file_id')),
        reason: param(s, 'reason'),
        kind: param(s, 'kind'),
        key_columns: param(s, 'key_columns'),
        columns_before: param(s, 'columns_before'),
        rows_after: param(s, 'rows_after') === null ? null : String(param(s, 'rows_after')),
      });
      return { rowCount: 1 };
    }
    if (sql.startsWith('SELECT * FROM [bkp].[catalogue]')) {
      const t = param(s, 'table') as string | undefined;
      let rows = catalogue.filter((c) => t === undefined || c.table_name === t);
      if (sql.includes('AND snapshot = @snapshot')) rows = rows.filter((c) => c.snapshot === param(s, 'snapshot'));
      rows = [...rows].sort((a, b) => (a.taken_at as Date).getTime() - (b.taken_at as Date).getTime()).reverse();
      if (sql.includes('OFFSET @keep ROWS')) rows = rows.slice(param(s, 'keep') as number);
      return { rows };
    }
    if (sql.startsWith('DELETE FROM [bkp].[catalogue]')) {
      const i = catalogue.findIndex((c) => c.snapshot === param(s, 'snapshot'));
      catalogue.splice(i, 1);
      return { rowCount: 1 };
    }
    if (sql.startsWith('INSERT INTO [refdata].[audit]')) {
      audit.push({
        id: String(audit.length + 1),
        file_id: param(s, 'file_id') === null ? null : String(param(s, 'file_id')),
        step: param(s, 'step'),
        outcome: param(s, 'outcome'),
        duration_ms: param(s, 'duration_ms'),
        details: param(s, 'details'),
        at_utc: new Date(),
      });
      log.push(`audit ${param(s, 'step') as string} ${param(s, 'outcome') as string}`);
      return { rowCount: 1 };
    }
    if (sql.startsWith('SELECT * FROM [refdata].[audit]'))
      return { rows: audit.filter((a) => a.file_id === String(param(s, 'file_id'))) };
    if (sql.startsWith('INSERT INTO [refdata].[load_commits]')) {
      commits.set(param(s, 'id') as string, param(s, 'outcome') as string);
      log.push('load_commits');
      return { rowCount: 1 };
    }
    if (sql.startsWith('SELECT outcome FROM [refdata].[load_commits]')) {
      const o = commits.get(param(s, 'id') as string);
      return { rows: o === undefined ? [] : [{ outcome: o }] };
    }
    if (sql.startsWith('UPDATE [refdata].[datasets]')) {
      const t = param(s, 'table') as string;
      if (!datasets.has(t)) return { rowCount: 0 };
      datasets.set(t, {
        table_name: t,
        mode: param(s, 'mode'),
        key_columns: param(s, 'keys'),
        type_overrides: param(s, 'overrides'),
      });
      return { rowCount: 1 };
    }
    if (sql.startsWith('INSERT INTO [refdata].[datasets]')) {
      const t = param(s, 'table') as string;
      datasets.set(t, {
        table_name: t,
        mode: param(s, 'mode'),
        key_columns: param(s, 'keys'),
        type_overrides: param(s, 'overrides'),
      });
      return { rowCount: 1 };
    }
    if (sql.startsWith('SELECT * FROM [refdata].[datasets]')) {
      const t = param(s, 'table') as string | undefined;
      return { rows: [...datasets.values()].filter((d) => t === undefined || d.table_name === t) };
    }
    if (sql.startsWith('INSERT INTO [refdata].[rejects]')) return { rowCount: s.params.length / 6 };
    if (sql.startsWith('SELECT TOP (@limit) line, raw')) return { rows: [] };
    if (sql.startsWith('DECLARE @now DATETIME2(3) = SYSUTCDATETIME();\nUPDATE [refdata].[files] SET name = @name')) {
      const id = files.length + 1;
      const lease = new Date(Date.now() + (param(s, 'lease_ms') as number));
      files.push({
        id: String(id),
        path: param(s, 'path'),
        name: param(s, 'name'),
        size: String(param(s, 'size')),
        mtime_ms: null,
        sha256: null,
        status: 'claimed',
        detected_at: new Date(),
        claimed_at: new Date(),
        started_at: null,
        finished_at: null,
        rows_read: null,
        rows_loaded: null,
        rows_rejected: null,
        target_table: null,
        error_code: null,
        error_message: null,
        instance_id: param(s, 'instance'),
        lease_until: lease,
        token: param(s, 'token'),
      });
      return { rows: [{ id: String(id), lease_until: lease }] };
    }
    if (sql.startsWith('SELECT TOP (1) * FROM [refdata].[files] WHERE sha256 = @sha')) {
      const exclude = param(s, 'exclude');
      const table = String(param(s, 'table')).toLowerCase();
      const found = files.find(
        (f) =>
          f.sha256 === param(s, 'sha') &&
          f.status === 'archived' &&
          String(f.target_table).toLowerCase() === table &&
          (exclude === null || f.id !== String(exclude)),
      );
      return { rows: found === undefined ? [] : [found] };
    }
    if (
      sql.startsWith('SELECT * FROM [refdata].[files]') ||
      sql.startsWith('SELECT TOP (@limit) * FROM [refdata].[files]')
    )
      return { rows: files };
    if (sql.startsWith("UPDATE [refdata].[files] SET status = N'released'")) {
      const f = files.find((x) => x.id === String(param(s, 'id')));
      if (f?.status !== 'held') return { rowCount: 0 };
      Object.assign(f, { status: 'released', path: param(s, 'path') });
      return { rowCount: 1 };
    }
    if (sql.startsWith('UPDATE [refdata].[files]') || sql.startsWith('DECLARE @now')) {
      const f = files.find((x) => x.id === String(param(s, 'id')));
      if (f === undefined || (param(s, 'token') !== f.token && !sql.startsWith('DECLARE'))) return { rowCount: 0 };
      if (sql.startsWith('DECLARE')) return { rows: [] };
      return { rowCount: 1 };
    }
    if (sql.startsWith('SELECT [v0]') || /^SELECT .* AS \[v0\]/.test(head)) {
      const [schema, name] = idents(sql.slice(sql.lastIndexOf(' FROM ') + 6)) as [string, string];
      const t = table(schema, name) as Table;
      return { rows: t.rows.map((r) => Object.fromEntries(r.map((v, i) => [`v${i}`, v]))) };
    }
    throw new Error(`fake server: unexpected statement ${sql.slice(0, 120)}`);
  };
  const onBulk = (b: FakeBulk): void => {
    const [schema, name] = idents(b.table) as [string, string];
    (table(schema, name) as Table).rows.push(...b.rows.map((r) => [...r]));
  };
  return { respond, onBulk, tables, log, catalogue, audit, unconvertible, files };
}

/**
 * A migrated {@link MssqlDatabase} on a fresh {@link fakeServer} of `engine` (closed when the test
 * finishes), with the server and the fake driver to inspect.
 */
export async function openOnFakeServer(
  engine: 'sqlserver' | 'babelfish' = 'sqlserver',
  options: { poolSize?: number } = {},
): Promise<{ db: Database; server: ReturnType<typeof fakeServer>; fake: ReturnType<typeof fakeTedious> }> {
  const server = fakeServer(engine);
  const fake = fakeTedious(server.respond, server.onBulk);
  const Pool = await loadTarn();
  const { logger } = recordingLogger();
  const db = new MssqlDatabase(
    parseDatabaseUrl('mssql://u@h/db') as MssqlUrl,
    { password: 'pw', logger, maxRetries: 2, retryBackoffSeconds: 0, ...options },
    fake.module,
    Pool,
  );
  onTestFinished(() => db.close());
  await db.migrate();
  return { db, server, fake };
}
