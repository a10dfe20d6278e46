/**
 * T-SQL for the SQL Server dialect, in small builders with exact-text tests. Identifiers go
 * through {@link quoteMssqlIdentifier} (`[` … `]`, or `"` … `"` for a name holding `]`); values are always parameters
 * with generated names (`@p0`, `@path`, …), never text from data.
 */
import { quoteMssqlIdentifier as q } from '../../identifiers.js';
import { type ColumnDef, FILE_STATUSES, TERMINAL_FILE_STATUSES } from '../../types.js';
import type { MssqlEngine } from './mssql-client.js';
import {
  convertSql,
  mssqlStagingType,
  mssqlType,
  qualified,
  readExpressionSql,
  stagedAsText,
  tryConvertSql,
} from './mssql-types.js';

/** Schemas: live tables, snapshots, staging, our metadata. */
export const SCHEMAS = { live: 'ref', backup: 'bkp', staging: 'stg', meta: 'refdata' } as const;
/** The line column of typed staging tables (reserved as a data column name). */
export const LINE_COLUMN = '__refdata_line';
/** SQL Server limit on parameters per request is 2,100; sp_executesql uses 2 of them. */
export const MAX_PARAMS_PER_STATEMENT = 2098;
/** SQL Server limit on row value expressions in one INSERT … VALUES. */
export const MAX_ROWS_PER_VALUES = 1000;
/** SQL Server limit on columns per (non-wide) table. */
export const MAX_COLUMNS = 1024;

const TERMINAL = `(${TERMINAL_FILE_STATUSES.map((s) => `N'${s}'`).join(', ')})`;
const pathKey = (param: string): string => `CAST(HASHBYTES('SHA2_256', ${param}) AS BINARY(32))`;

/** Creates the four schemas and the version table when missing (idempotent). */
export function bootstrapSql(): string {
  const schemas = Object.values(SCHEMAS)
    .map((s) => `IF SCHEMA_ID(N'${s}') IS NULL EXEC(N'CREATE SCHEMA ${q(s)}');`)
    .join('\n');
  return `${schemas}
IF OBJECT_ID(N'[refdata].[schema_version]', N'U') IS NULL CREATE TABLE [refdata].[schema_version] (version INT NOT NULL PRIMARY KEY, applied_at DATETIME2(3) NOT NULL);`;
}

/**
 * Serialises migrations across instances: an application lock owned by the transaction, taken
 * before anything is created, and its return code checked (< 0 is a timeout, deadlock or error).
 */
export const MIGRATION_LOCK_SQL =
  "DECLARE @r INT; EXEC @r = sp_getapplock @Resource = N'refdata.migrate', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000; IF @r < 0 THROW 51000, N'Timed out waiting for another instance to migrate the refdata schemas.', 1;";

/** Statuses a file is still being worked on in (the complement of the terminal ones). */
const ACTIVE = `(${FILE_STATUSES.filter((s) => !TERMINAL_FILE_STATUSES.includes(s))
  .map((s) => `N'${s}'`)
  .join(', ')})`;

/** Versioned migrations; index i brings the schema from version i to i + 1. Never edit a shipped entry. */
export const MSSQL_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE [refdata].[files] (
  id BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
  path NVARCHAR(4000) NOT NULL,
  path_key AS ${pathKey('path')} PERSISTED,
  name NVARCHAR(1024) NOT NULL,
  size BIGINT NOT NULL,
  mtime_ms BIGINT NULL,
  sha256 CHAR(64) NULL,
  status NVARCHAR(20) NOT NULL,
  detected_at DATETIME2(3) NOT NULL,
  claimed_at DATETIME2(3) NULL,
  started_at DATETIME2(3) NULL,
  finished_at DATETIME2(3) NULL,
  rows_read BIGINT NULL,
  rows_loaded BIGINT NULL,
  rows_rejected BIGINT NULL,
  target_table NVARCHAR(128) NULL,
  error_code NVARCHAR(100) NULL,
  error_message NVARCHAR(4000) NULL,
  instance_id NVARCHAR(200) NULL,
  lease_until DATETIME2(3) NULL,
  token UNIQUEIDENTIFIER NULL
);`,
    'CREATE INDEX [ix_files_path] ON [refdata].[files] (path_key, status);',
    'CREATE INDEX [ix_files_sha256] ON [refdata].[files] (sha256);',
    'CREATE INDEX [ix_files_status] ON [refdata].[files] (status, lease_until);',
    `CREATE TABLE [refdata].[audit] (
  id BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
  file_id BIGINT NULL,
  step NVARCHAR(100) NOT NULL,
  outcome NVARCHAR(20) NOT NULL,
  duration_ms FLOAT NULL,
  details NVARCHAR(MAX) NULL,
  at_utc DATETIME2(3) NOT NULL
);`,
    'CREATE INDEX [ix_audit_file] ON [refdata].[audit] (file_id, id);',
    `CREATE TABLE [refdata].[rejects] (
  id BIGINT IDENTITY(1,1) NOT NULL PRIMARY KEY,
  file_id BIGINT NOT NULL,
  line BIGINT NOT NULL,
  raw NVARCHAR(MAX) NOT NULL,
  column_name NVARCHAR(4000) NULL,
  value NVARCHAR(MAX) NULL,
  reason NVARCHAR(4000) NOT NULL
);`,
    'CREATE INDEX [ix_rejects_file] ON [refdata].[rejects] (file_id, line);',
    `CREATE TABLE [refdata].[datasets] (
  table_name NVARCHAR(128) NOT NULL PRIMARY KEY,
  mode NVARCHAR(10) NOT NULL,
  key_columns NVARCHAR(MAX) NOT NULL,
  type_overrides NVARCHAR(MAX) NOT NULL,
  updated_at DATETIME2(3) NOT NULL
);`,
    `CREATE TABLE [bkp].[catalogue] (
  snapshot NVARCHAR(128) NOT NULL PRIMARY KEY,
  table_name NVARCHAR(128) NOT NULL,
  taken_at DATETIME2(3) NOT NULL,
  row_count BIGINT NOT NULL,
  source_file NVARCHAR(1024) NULL,
  file_id BIGINT NULL,
  reason NVARCHAR(10) NOT NULL
);`,
    'CREATE INDEX [ix_catalogue_table] ON [bkp].[catalogue] (table_name, taken_at);',
    `CREATE TABLE [refdata].[load_commits] (
  commit_id UNIQUEIDENTIFIER NOT NULL PRIMARY KEY,
  table_name NVARCHAR(128) NOT NULL,
  outcome NVARCHAR(MAX) NOT NULL,
  committed_at DATETIME2(3) NOT NULL
);`,
  ],
  [
    // Claims are compare-and-set statements; this index makes "one active row per path" a rule
    // the engine enforces (Babelfish ignores UPDLOCK/READPAST, so hints cannot). Filter: IN only,
    // as SQL Server's filtered indexes allow no NOT IN.
    `CREATE UNIQUE INDEX [ux_files_active_path] ON [refdata].[files] (path_key) WHERE status IN ${ACTIVE};`,
  ],
  [
    // Delta snapshots of keyed appends and upserts: what undoing one needs (see mssql-backups.ts).
    // One column per ALTER: Babelfish refuses a list after ADD.
    "ALTER TABLE [bkp].[catalogue] ADD kind NVARCHAR(5) NOT NULL CONSTRAINT [df_catalogue_kind] DEFAULT N'full';",
    'ALTER TABLE [bkp].[catalogue] ADD key_columns NVARCHAR(MAX) NULL;',
    'ALTER TABLE [bkp].[catalogue] ADD columns_before NVARCHAR(MAX) NULL;',
    'ALTER TABLE [bkp].[catalogue] ADD rows_after BIGINT NULL;',
  ],
];

/** `CREATE TABLE [schema].[name] (…)` with the logical types' T-SQL types. */
export function createTableSql(schema: string, name: string, columns: readonly ColumnDef[]): string {
  const defs = columns.map((c) => `${q(c.name)} ${mssqlType(c.type)} ${c.nullable ? 'NULL' : 'NOT NULL'}`);
  return `CREATE TABLE ${qualified(schema, name)} (${defs.join(', ')});`;
}

/** Generated staging column name of column `i` (never data, so bulk load needs no escaping). */
export const stagingColumn = (i: number): string => `c${i}`;

/** The text staging table: `[line]` plus `c0…cN` in staging types (decimals and temporals as NVARCHAR). */
export function createStagingSql(name: string, columns: readonly ColumnDef[]): string {
  const defs = columns.map((c, i) => `[${stagingColumn(i)}] ${mssqlStagingType(c.type)} NULL`);
  return `CREATE TABLE ${qualified(SCHEMAS.staging, name)} ([line] BIGINT NOT NULL PRIMARY KEY, ${defs.join(', ')});`;
}

/**
 * The `ALTER TABLE … ALTER COLUMN` statements that give text staging the staging types of
 * `to` where they differ from those of `from` (the same columns, some widened): `int` → `bigint`
 * makes `[cI]` BIGINT, `int`/`bigint` → `decimal` makes it NVARCHAR text (the server writes each
 * integer as its exact digits); decimal → decimal changes nothing here (both are text) but
 * typed staging. Staging columns are all NULL, and stay so: SQL Server is told (a column
 * altered without it takes the session's ANSI_NULL_DFLT setting); Babelfish refuses `NULL` in
 * `ALTER COLUMN` ("not currently supported") and keeps the column's nullability, as PostgreSQL's
 * `ALTER COLUMN … TYPE` does.
 */
export function widenStagingSql(
  staging: string,
  from: readonly ColumnDef[],
  to: readonly ColumnDef[],
  engine: MssqlEngine = 'sqlserver',
): readonly string[] {
  const nullable = engine === 'sqlserver' ? ' NULL' : '';
  return to.flatMap((c, i) => {
    const before = from[i];
    const type = mssqlStagingType(c.type);
    return before === undefined || mssqlStagingType(before.type) === type
      ? []
      : [`ALTER TABLE ${qualified(SCHEMAS.staging, staging)} ALTER COLUMN [${stagingColumn(i)}] ${type}${nullable};`];
  });
}

/** The condition "some staged text value does not convert", or undefined when no column needs converting. */
export function conversionFailureCondition(
  columns: readonly ColumnDef[],
  engine: MssqlEngine = 'sqlserver',
): string | undefined {
  const parts = columns.flatMap((c, i) => {
    const expr = `[${stagingColumn(i)}]`;
    const convert = tryConvertSql(c.type, expr, engine);
    return convert === undefined ? [] : [`(${expr} IS NOT NULL AND ${convert} IS NULL)`];
  });
  return parts.length === 0 ? undefined : parts.join(' OR ');
}

/** Rows of text staging that fail TRY_CONVERT: line, every staged value, and a flag `[f<i>]` per converted column. */
export function conversionFailuresSql(
  staging: string,
  columns: readonly ColumnDef[],
  engine: MssqlEngine = 'sqlserver',
): string | undefined {
  const where = conversionFailureCondition(columns, engine);
  if (where === undefined) return undefined;
  const list = columns.map((_c, i) => `[${stagingColumn(i)}]`).join(', ');
  const flags = columns.flatMap((c, i) => {
    const expr = `[${stagingColumn(i)}]`;
    const convert = tryConvertSql(c.type, expr, engine);
    return convert === undefined
      ? []
      : [`CASE WHEN ${expr} IS NOT NULL AND ${convert} IS NULL THEN 1 ELSE 0 END AS [f${i}]`];
  });
  return `SELECT [line], ${list}, ${flags.join(', ')} FROM ${qualified(SCHEMAS.staging, staging)} WHERE ${where} ORDER BY [line];`;
}

/** The typed staging table: the real columns plus the line. */
export function createTypedSql(typed: string, columns: readonly ColumnDef[]): string {
  const defs = columns.map((c) => `${q(c.name)} ${mssqlType(c.type)} ${c.nullable ? 'NULL' : 'NOT NULL'}`);
  return `CREATE TABLE ${qualified(SCHEMAS.staging, typed)} (${defs.join(', ')}, ${q(LINE_COLUMN)} BIGINT NOT NULL);`;
}

/** Drops a table if it exists. */
export function dropTableIfExistsSql(schema: string, name: string): string {
  return `DROP TABLE IF EXISTS ${qualified(schema, name)};`;
}

/** Fills typed staging from text staging (rows failing conversion were removed first), in line order. */
export function fillTypedSql(
  staging: string,
  typed: string,
  columns: readonly ColumnDef[],
  engine: MssqlEngine = 'sqlserver',
): string {
  return fillTyped(staging, typed, columns, (type, expr) => tryConvertSql(type, expr, engine));
}

/**
 * Fills typed staging from text staging with `CONVERT`: one statement that fails as a whole when
 * any value does not convert (then {@link conversionFailuresSql} and {@link fillTypedSql} run).
 * `ordered: false` leaves out `ORDER BY [line]` — on Babelfish, where typed staging never becomes
 * the live table itself (the live table is filled from it in line order), sorting a million
 * staged rows there is wasted work.
 */
export function fillTypedConvertSql(
  staging: string,
  typed: string,
  columns: readonly ColumnDef[],
  ordered = true,
  engine: MssqlEngine = 'sqlserver',
): string {
  return fillTyped(staging, typed, columns, (type, expr) => convertSql(type, expr, engine), ordered);
}

function fillTyped(
  staging: string,
  typed: string,
  columns: readonly ColumnDef[],
  convert: (type: ColumnDef['type'], expr: string) => string | undefined,
  ordered = true,
): string {
  const targets = [...columns.map((c) => q(c.name)), q(LINE_COLUMN)].join(', ');
  const values = columns.map((c, i) => {
    const expr = `[${stagingColumn(i)}]`;
    return stagedAsText(c.type) ? (convert(c.type, expr) as string) : expr;
  });
  return `INSERT INTO ${qualified(SCHEMAS.staging, typed)} WITH (TABLOCK) (${targets}) SELECT ${[...values, '[line]'].join(', ')} FROM ${qualified(SCHEMAS.staging, staging)}${ordered ? ' ORDER BY [line]' : ''};`;
}

/** Canonical read expressions of `columns` from alias `t`, aliased `v0…vN`. */
export function readListSql(columns: readonly ColumnDef[], alias?: string): string {
  return columns
    .map((c, i) => `${readExpressionSql(c.type, alias === undefined ? q(c.name) : `${alias}.${q(c.name)}`)} AS [v${i}]`)
    .join(', ');
}

/** Rows of typed staging with a NULL key: line and values. */
export function nullKeysSql(typed: string, keys: readonly string[], columns: readonly ColumnDef[]): string {
  const where = keys.map((k) => `${q(k)} IS NULL`).join(' OR ');
  return `SELECT ${q(LINE_COLUMN)} AS [line], ${readListSql(columns)} FROM ${qualified(SCHEMAS.staging, typed)} WHERE ${where} ORDER BY ${q(LINE_COLUMN)};`;
}

/** Deletes rows of typed staging with a NULL key. */
export function deleteNullKeysSql(typed: string, keys: readonly string[]): string {
  return `DELETE FROM ${qualified(SCHEMAS.staging, typed)} WHERE ${keys.map((k) => `${q(k)} IS NULL`).join(' OR ')};`;
}

/** Rows of typed staging whose key repeats an earlier line: line, first line and values. */
export function duplicateKeysSql(typed: string, keys: readonly string[], columns: readonly ColumnDef[]): string {
  const partition = keys.map(q).join(', ');
  // The first row's key values too: under the column's collation `ABC` equals `abc` and `x `
  // equals `x`, and the reject says which text it collided with.
  const firsts = keys.map(
    (k, i) =>
      `FIRST_VALUE(${q(k)}) OVER (PARTITION BY ${partition} ORDER BY ${q(LINE_COLUMN)} ROWS UNBOUNDED PRECEDING) AS [first_k${i}]`,
  );
  return `SELECT d.[line], d.[first_line], ${keys.map((_k, i) => `d.[first_k${i}]`).join(', ')}, ${columns.map((_c, i) => `d.[v${i}]`).join(', ')} FROM (SELECT ${q(LINE_COLUMN)} AS [line], MIN(${q(LINE_COLUMN)}) OVER (PARTITION BY ${partition}) AS [first_line], ${firsts.join(', ')}, ${readListSql(columns)} FROM ${qualified(SCHEMAS.staging, typed)}) AS d WHERE d.[line] <> d.[first_line] ORDER BY d.[line];`;
}

/**
 * Deletes every row of typed staging but the first of each key. A plain DELETE … WHERE IN (a
 * derived table): Babelfish cannot DELETE through a CTE or an alias.
 */
export function deleteDuplicateKeysSql(typed: string, keys: readonly string[]): string {
  const t = qualified(SCHEMAS.staging, typed);
  return `DELETE FROM ${t} WHERE ${q(LINE_COLUMN)} IN (SELECT d.[line] FROM (SELECT ${q(LINE_COLUMN)} AS [line], MIN(${q(LINE_COLUMN)}) OVER (PARTITION BY ${keys.map(q).join(', ')}) AS [first_line] FROM ${t}) AS d WHERE d.[line] <> d.[first_line]);`;
}

/** Keeps in text staging only the lines that made it into typed staging (so a re-validation agrees). */
export function syncStagingSql(staging: string, typed: string): string {
  // No DELETE through an alias (Babelfish); the line columns are NOT NULL, so NOT IN is exact.
  return `DELETE FROM ${qualified(SCHEMAS.staging, staging)} WHERE [line] NOT IN (SELECT ${q(LINE_COLUMN)} FROM ${qualified(SCHEMAS.staging, typed)});`;
}

/** `SELECT COUNT_BIG(*) AS n FROM [schema].[name]`. */
export function countSql(schema: string, name: string): string {
  return `SELECT COUNT_BIG(*) AS [n] FROM ${qualified(schema, name)};`;
}

/** Object id of a table by its quoted two-part name (passed as @name). */
export const OBJECT_ID_SQL = "SELECT OBJECT_ID(@name, N'U') AS [id];";

/**
 * Columns of a table (@schema, @table), in order, from INFORMATION_SCHEMA.COLUMNS: the same answer
 * as `sys.columns` + `sys.types` on both engines, and 15 ms instead of 100 ms on Babelfish, where
 * it ran about ten times per load. Lengths are in characters (-1 for MAX); the scale of a
 * temporal column is DATETIME_PRECISION.
 */
export const DESCRIBE_SQL =
  'SELECT COLUMN_NAME AS [name], DATA_TYPE AS [type_name], CHARACTER_MAXIMUM_LENGTH AS [char_length], NUMERIC_PRECISION AS [precision], COALESCE(NUMERIC_SCALE, DATETIME_PRECISION) AS [scale], IS_NULLABLE AS [nullable] FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table ORDER BY ORDINAL_POSITION;';

/** Live tables. */
export const LIST_TABLES_SQL =
  "SELECT t.name AS [name] FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(N'ref') ORDER BY t.name;";

/** Renames an object; @objname is a quoted two-part name, @newname a bare name (sp_rename takes it literally). */
export const RENAME_SQL = "EXEC sp_rename @objname = @objname, @newname = @newname, @objtype = N'OBJECT';";

/**
 * Which engine answers: `SERVERPROPERTY('Babelfish')` is 1 on Babelfish and NULL on SQL Server;
 * `@@VERSION` names Babelfish too. Run once per connection.
 */
export const ENGINE_SQL = "SELECT CAST(SERVERPROPERTY('Babelfish') AS int) AS [babelfish], @@VERSION AS [version];";

/** Deletes every row of a table (kept in place, with its permissions, keys, indexes and triggers). */
export function deleteAllSql(schema: string, name: string): string {
  return `DELETE FROM ${qualified(schema, name)};`;
}

/** Copies typed staging's rows into an existing live table with the same columns, in line order. */
export function fillLiveSql(typed: string, live: string, columns: readonly string[]): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${qualified(SCHEMAS.live, live)} (${list}) SELECT ${list} FROM ${qualified(SCHEMAS.staging, typed)} ORDER BY ${q(LINE_COLUMN)};`;
}

/** Copies a snapshot's rows into an existing live table with the same columns. */
export function refillFromSnapshotSql(snapshot: string, live: string, columns: readonly string[]): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${qualified(SCHEMAS.live, live)} (${list}) SELECT ${list} FROM ${qualified(SCHEMAS.backup, snapshot)};`;
}

/** Moves a table to another schema (metadata only; SQL Server only: Babelfish lacks ALTER SCHEMA … TRANSFER). */
export function transferSql(toSchema: string, fromSchema: string, name: string): string {
  return `ALTER SCHEMA ${q(toSchema)} TRANSFER ${qualified(fromSchema, name)};`;
}

/** Drops the line column of typed staging before it becomes live (a metadata-only change). */
export function dropLineColumnSql(typed: string): string {
  return `ALTER TABLE ${qualified(SCHEMAS.staging, typed)} DROP COLUMN ${q(LINE_COLUMN)};`;
}

/** Copies a table into a new one (`SELECT * INTO`), keeping column types and nullability. */
export function copyTableSql(fromSchema: string, fromName: string, toSchema: string, toName: string): string {
  return `SELECT * INTO ${qualified(toSchema, toName)} FROM ${qualified(fromSchema, fromName)};`;
}

/**
 * A delta snapshot's table: the live columns, all nullable, plus the line column. A row with a
 * NULL line is a pre-image (a live row whose key the file holds); a row with a line is a key the
 * load wrote (from that line of the file), its other columns NULL.
 */
export function createDeltaSql(snapshot: string, liveColumns: readonly ColumnDef[]): string {
  return createTableSql(SCHEMAS.backup, snapshot, [
    ...liveColumns.map((c) => ({ ...c, nullable: true })),
    { name: LINE_COLUMN, type: { kind: 'bigint' }, nullable: true },
  ]);
}

/** A delta's pre-images: the live rows whose key typed staging holds. */
export function preImagesSql(
  typed: string,
  live: string,
  snapshot: string,
  keys: readonly string[],
  columns: readonly string[],
): string {
  return `INSERT INTO ${qualified(SCHEMAS.backup, snapshot)} (${columns.map(q).join(', ')}) SELECT ${columns.map((c) => `l.${q(c)}`).join(', ')} FROM ${qualified(SCHEMAS.live, live)} AS l WHERE EXISTS (SELECT 1 FROM ${qualified(SCHEMAS.staging, typed)} AS s WHERE ${keyJoin('s', 'l', keys)});`;
}

/** A delta's keys: every key typed staging holds, with its line. */
export function deltaKeysSql(typed: string, snapshot: string, keys: readonly string[]): string {
  const list = [...keys, LINE_COLUMN].map(q).join(', ');
  return `INSERT INTO ${qualified(SCHEMAS.backup, snapshot)} (${list}) SELECT ${list} FROM ${qualified(SCHEMAS.staging, typed)};`;
}

/**
 * Undo of a delta, step 1: deletes the live rows whose key the load wrote (those it inserted and
 * those it updated). A plain DELETE correlated by the live table's name: Babelfish cannot DELETE
 * through an alias.
 */
export function undoDeltaDeleteSql(snapshot: string, live: string, keys: readonly string[]): string {
  const l = qualified(SCHEMAS.live, live);
  return `DELETE FROM ${l} WHERE EXISTS (SELECT 1 FROM ${qualified(SCHEMAS.backup, snapshot)} AS d WHERE d.${q(LINE_COLUMN)} IS NOT NULL AND ${keys.map((k) => `d.${q(k)} = ${l}.${q(k)}`).join(' AND ')});`;
}

/** Undo of a delta, step 2: inserts the pre-images back. */
export function undoDeltaInsertSql(snapshot: string, live: string, columns: readonly string[]): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${qualified(SCHEMAS.live, live)} (${list}) SELECT ${list} FROM ${qualified(SCHEMAS.backup, snapshot)} WHERE ${q(LINE_COLUMN)} IS NULL;`;
}

/** Drops a column a load added to the live table (a restore to before that load). */
export function dropColumnSql(live: string, column: string): string {
  return `ALTER TABLE ${qualified(SCHEMAS.live, live)} DROP COLUMN ${q(column)};`;
}

/** Serialises commits, restores and prunes of one table across instances. */
export const TABLE_LOCK_SQL =
  "DECLARE @r INT; EXEC @r = sp_getapplock @Resource = @resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000; IF @r < 0 THROW 51000, N'Timed out waiting for another load of the same table.', 1;";

const keyJoin = (a: string, b: string, keys: readonly string[]): string =>
  keys.map((k) => `${a}.${q(k)} = ${b}.${q(k)}`).join(' AND ');

/**
 * Change summary counts between typed staging `s` and live `l`. Values are compared NULL-safely
 * with `EXISTS (SELECT s.… EXCEPT SELECT l.…)`. `removed` (live keys the file lacks) reads every
 * live row, so it is counted only for a replace (`options.removed`); an upsert removes nothing and
 * gets `0`, keeping its commit's cost with the file, not the live table.
 */
export function changeSummarySql(
  typed: string,
  live: string,
  keys: readonly string[],
  values: readonly string[],
  options: { readonly removed: boolean } = { removed: true },
): string {
  const s = qualified(SCHEMAS.staging, typed);
  const l = qualified(SCHEMAS.live, live);
  const differs =
    values.length === 0
      ? '1 = 0'
      : `EXISTS (SELECT ${values.map((v) => `s.${q(v)}`).join(', ')} EXCEPT SELECT ${values.map((v) => `l.${q(v)}`).join(', ')})`;
  return `SELECT
  (SELECT COUNT_BIG(*) FROM ${s} AS s WHERE NOT EXISTS (SELECT 1 FROM ${l} AS l WHERE ${keyJoin('l', 's', keys)})) AS [added],
  ${options.removed ? `(SELECT COUNT_BIG(*) FROM ${l} AS l WHERE NOT EXISTS (SELECT 1 FROM ${s} AS s WHERE ${keyJoin('s', 'l', keys)}))` : 'CAST(0 AS BIGINT)'} AS [removed],
  (SELECT COUNT_BIG(*) FROM ${s} AS s JOIN ${l} AS l ON ${keyJoin('l', 's', keys)}) AS [matched],
  (SELECT COUNT_BIG(*) FROM ${s} AS s JOIN ${l} AS l ON ${keyJoin('l', 's', keys)} WHERE ${differs}) AS [changed];`;
}

/** Appends typed staging to the live table in line order. */
export function appendSql(typed: string, live: string, columns: readonly string[]): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${qualified(SCHEMAS.live, live)} (${list}) SELECT ${list} FROM ${qualified(SCHEMAS.staging, typed)} ORDER BY ${q(LINE_COLUMN)};`;
}

/**
 * Upsert step 1: UPDATE live rows whose key is staged. Upsert is UPDATE then INSERT … WHERE NOT
 * EXISTS in one transaction, never MERGE (its concurrency bugs are well documented and some
 * T-SQL engines lack it). Undefined when every column is a key.
 */
export function upsertUpdateSql(
  typed: string,
  live: string,
  keys: readonly string[],
  values: readonly string[],
): string | undefined {
  if (values.length === 0) return undefined;
  return `UPDATE l SET ${values.map((v) => `l.${q(v)} = s.${q(v)}`).join(', ')} FROM ${qualified(SCHEMAS.live, live)} AS l WITH (UPDLOCK, HOLDLOCK) JOIN ${qualified(SCHEMAS.staging, typed)} AS s ON ${keyJoin('l', 's', keys)};`;
}

/** Upsert step 2: INSERT staged rows whose key is not live. */
export function upsertInsertSql(
  typed: string,
  live: string,
  keys: readonly string[],
  columns: readonly string[],
): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${qualified(SCHEMAS.live, live)} (${list}) SELECT ${columns.map((c) => `s.${q(c)}`).join(', ')} FROM ${qualified(SCHEMAS.staging, typed)} AS s WHERE NOT EXISTS (SELECT 1 FROM ${qualified(SCHEMAS.live, live)} AS l WITH (UPDLOCK, HOLDLOCK) WHERE ${keyJoin('l', 's', keys)}) ORDER BY s.${q(LINE_COLUMN)};`;
}

/** Adds a (nullable) column to the live table. */
export function addColumnSql(live: string, column: ColumnDef): string {
  return `ALTER TABLE ${qualified(SCHEMAS.live, live)} ADD ${q(column.name)} ${mssqlType(column.type)} NULL;`;
}

/** Reads a live table exactly (see readExpressionSql). */
export function readTableSql(live: string, columns: readonly ColumnDef[], orderBy: readonly string[] = []): string {
  // A heap returns rows in no defined order; the dataset's key columns give exports a stable one.
  const order = orderBy.length === 0 ? '' : ` ORDER BY ${orderBy.map(q).join(', ')}`;
  return `SELECT ${readListSql(columns)} FROM ${qualified(SCHEMAS.live, live)}${order};`;
}

/**
 * Rows per statement of the fallback parameterised INSERT: at most 1,000 row value expressions
 * and at most 2,098 parameters (2,100 minus the 2 sp_executesql takes) — the seed's fixed 990
 * rows only held for tables of ≤ 2 columns.
 *
 * @example
 * ```ts
 * fallbackRowsPerStatement(11); // 190
 * ```
 */
export function fallbackRowsPerStatement(columnsPerRow: number): number {
  return Math.max(1, Math.min(MAX_ROWS_PER_VALUES, Math.floor(MAX_PARAMS_PER_STATEMENT / columnsPerRow)));
}

/** The fallback INSERT of `rows` rows into text staging, with parameters `@p0…` in row-major order. */
export function fallbackInsertSql(staging: string, columnCount: number, rows: number): string {
  const width = columnCount + 1;
  const names = ['[line]', ...Array.from({ length: columnCount }, (_v, i) => `[${stagingColumn(i)}]`)].join(', ');
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    tuples.push(`(${Array.from({ length: width }, (_v, c) => `@p${r * width + c}`).join(', ')})`);
  }
  return `INSERT INTO ${qualified(SCHEMAS.staging, staging)} (${names}) VALUES ${tuples.join(', ')};`;
}

/** Lines of a range present in staging (idempotent retry of a batch whose outcome is unknown). */
export function stagedLinesInRangeSql(staging: string): string {
  return `SELECT COUNT_BIG(*) AS [n] FROM ${qualified(SCHEMAS.staging, staging)} WHERE [line] BETWEEN @first AND @last;`;
}

/**
 * Removes the lines of a range from staging: a retried batch that a failed bulk load left partly
 * staged (Babelfish commits a bulk load's rows in groups, so a cut connection can leave some).
 */
export function deleteStagedLinesInRangeSql(staging: string): string {
  return `DELETE FROM ${qualified(SCHEMAS.staging, staging)} WHERE [line] BETWEEN @first AND @last;`;
}

/** Staging tables older than a day (left by stopped processes). */
export const STALE_STAGING_SQL =
  "SELECT t.name AS [name] FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(N'stg') AND t.create_date < DATEADD(HOUR, -24, GETDATE());";

/**
 * Claims a new file or takes over an expired active row of the same path: compare-and-set
 * statements on server time, never table hints (Babelfish ignores them). The UPDATE re-checks its
 * WHERE after any row lock it waited for, so of two racers one changes the row; the INSERT of a
 * second active row of a path fails on `ux_files_active_path` (error 2627/2601, read as "not
 * claimed"). The claim is read back by its fresh token: no OUTPUT (Babelfish fails
 * `UPDATE … OUTPUT` outside dbo and may report 0 rows for DML with OUTPUT).
 */
export const CLAIM_NEW_SQL: string = `DECLARE @now DATETIME2(3) = SYSUTCDATETIME();
UPDATE [refdata].[files] SET name = @name, size = @size, mtime_ms = @mtime, status = N'claimed', claimed_at = @now, instance_id = @instance, lease_until = DATEADD(MILLISECOND, @lease_ms, @now), token = @token
WHERE path_key = ${pathKey('@path')} AND path = @path AND status IN ${ACTIVE} AND (lease_until IS NULL OR lease_until <= @now);
IF @@ROWCOUNT = 0
  INSERT INTO [refdata].[files] (path, name, size, mtime_ms, status, detected_at, claimed_at, instance_id, lease_until, token)
  SELECT @path, @name, @size, @mtime, N'claimed', @now, @now, @instance, DATEADD(MILLISECOND, @lease_ms, @now), @token
  WHERE NOT EXISTS (SELECT 1 FROM [refdata].[files] WHERE path_key = ${pathKey('@path')} AND path = @path AND status IN ${ACTIVE});
SELECT id, lease_until FROM [refdata].[files] WHERE path_key = ${pathKey('@path')} AND token = @token;`;

/** Re-claims an active row whose lease expired (compare-and-set on server time), read back by its new token. */
export const RECLAIM_SQL: string = `DECLARE @now DATETIME2(3) = SYSUTCDATETIME();
UPDATE [refdata].[files] SET status = N'claimed', claimed_at = @now, instance_id = @instance, lease_until = DATEADD(MILLISECOND, @lease_ms, @now), token = @token
WHERE id = @id AND status IN ${ACTIVE} AND (lease_until IS NULL OR lease_until <= @now);
SELECT lease_until FROM [refdata].[files] WHERE id = @id AND token = @token;`;

/** Extends a lease held by the token. */
export const HEARTBEAT_SQL: string = `UPDATE [refdata].[files] SET lease_until = DATEADD(MILLISECOND, @lease_ms, SYSUTCDATETIME()) WHERE id = @id AND token = @token AND status NOT IN ${TERMINAL};`;

/**
 * Updates progress columns (`sets` come from a fixed whitelist) while the token holds the row. An
 * empty patch still checks the claim, with `status = status` (`id = id` would assign an IDENTITY
 * column: error 8102 on SQL Server, "can only be updated to DEFAULT" on Babelfish).
 */
export function updateFileSql(sets: readonly string[], terminalAllowed: boolean): string {
  return `UPDATE [refdata].[files] SET ${sets.length === 0 ? 'status = status' : sets.join(', ')} WHERE id = @id AND token = @token${terminalAllowed ? '' : ` AND status NOT IN ${TERMINAL}`};`;
}

/** `held` → `released`, with the file's new path; zero rows when it is not held. */
export const MARK_RELEASED_SQL: string =
  "UPDATE [refdata].[files] SET status = N'released', path = @path WHERE id = @id AND status = N'held';";

/** Expired non-terminal rows. */
export const LIST_EXPIRED_SQL: string = `SELECT * FROM [refdata].[files] WHERE status NOT IN ${TERMINAL} AND (lease_until IS NULL OR lease_until <= SYSUTCDATETIME()) ORDER BY id;`;

// ---- metadata schema version, health -----------------------------------------------------------

/** Answers when the server is reachable (run when the database is opened). */
export const PING_SQL: string = 'SELECT 1 AS [ok];';
/** The metadata schema version (0 when none was applied). */
export const SCHEMA_VERSION_SQL: string = 'SELECT COALESCE(MAX(version), 0) AS [v] FROM [refdata].[schema_version];';
/** Records an applied migration (@v). */
export const INSERT_VERSION_SQL: string =
  'INSERT INTO [refdata].[schema_version] (version, applied_at) VALUES (@v, SYSUTCDATETIME());';
/** The metadata schema version, 0 when the version table does not exist yet. */
export const HEALTH_VERSION_SQL: string =
  "SELECT CASE WHEN OBJECT_ID(N'[refdata].[schema_version]', N'U') IS NULL THEN 0 ELSE (SELECT COALESCE(MAX(version), 0) FROM [refdata].[schema_version]) END AS [v];";

// ---- backup catalogue --------------------------------------------------------------------------

/** Every catalogued snapshot, newest first per table. */
export const LIST_BACKUPS_SQL: string =
  'SELECT * FROM [bkp].[catalogue] ORDER BY table_name, taken_at DESC, snapshot DESC;';
/** The snapshots of one table (@table), newest first. */
export const LIST_TABLE_BACKUPS_SQL: string =
  'SELECT * FROM [bkp].[catalogue] WHERE table_name = @table ORDER BY taken_at DESC, snapshot DESC;';
/** One catalogued snapshot (@table, @snapshot). */
export const GET_BACKUP_SQL: string =
  'SELECT * FROM [bkp].[catalogue] WHERE table_name = @table AND snapshot = @snapshot;';
/** The time of a table's newest snapshot (@table). */
export const LAST_BACKUP_TIME_SQL: string =
  'SELECT MAX(taken_at) AS [t] FROM [bkp].[catalogue] WHERE table_name = @table;';
/** Catalogues a snapshot. */
export const INSERT_BACKUP_SQL: string =
  'INSERT INTO [bkp].[catalogue] (snapshot, table_name, taken_at, row_count, source_file, file_id, reason, kind, key_columns, columns_before, rows_after) VALUES (@snapshot, @table, @taken_at, @rows, @source_file, @file_id, @reason, @kind, @key_columns, @columns_before, @rows_after);';
/** A table's snapshots (@table) beyond the newest @keep. */
export const BACKUPS_BEYOND_SQL: string =
  'SELECT * FROM [bkp].[catalogue] WHERE table_name = @table ORDER BY taken_at DESC, snapshot DESC OFFSET @keep ROWS;';
/** Removes a snapshot (@snapshot) from the catalogue. */
export const DELETE_BACKUP_SQL: string = 'DELETE FROM [bkp].[catalogue] WHERE snapshot = @snapshot;';

// ---- audit, rejects, datasets ------------------------------------------------------------------

/** Records an audit event (server time). */
export const INSERT_AUDIT_SQL: string =
  'INSERT INTO [refdata].[audit] (file_id, step, outcome, duration_ms, details, at_utc) VALUES (@file_id, @step, @outcome, @duration_ms, @details, SYSUTCDATETIME());';
/** A file's audit events (@file_id) in order. */
export const LIST_AUDIT_SQL: string = 'SELECT * FROM [refdata].[audit] WHERE file_id = @file_id ORDER BY id;';

/** Records `rows` rejected rows; row i takes `@f<i>, @l<i>, @r<i>, @c<i>, @v<i>, @e<i>`. */
export function insertRejectsSql(rows: number): string {
  const tuples = Array.from({ length: rows }, (_v, i) => `(@f${i}, @l${i}, @r${i}, @c${i}, @v${i}, @e${i})`);
  return `INSERT INTO [refdata].[rejects] (file_id, line, raw, column_name, value, reason) VALUES ${tuples.join(', ')};`;
}

/** A file's rejected rows (@file_id) by line, at most @limit. */
export const LIST_REJECTS_SQL: string =
  'SELECT TOP (@limit) line, raw, column_name, value, reason FROM [refdata].[rejects] WHERE file_id = @file_id ORDER BY line, id;';
/** One dataset's settings (@table). */
export const GET_DATASET_SQL: string = 'SELECT * FROM [refdata].[datasets] WHERE table_name = @table;';
/** Updates a dataset's settings (UPDATE then INSERT … WHERE NOT EXISTS, never MERGE). */
export const UPDATE_DATASET_SQL: string =
  'UPDATE [refdata].[datasets] WITH (UPDLOCK, HOLDLOCK) SET mode = @mode, key_columns = @keys, type_overrides = @overrides, updated_at = SYSUTCDATETIME() WHERE table_name = @table;';
/** Inserts a dataset's settings. */
export const INSERT_DATASET_SQL: string =
  'INSERT INTO [refdata].[datasets] (table_name, mode, key_columns, type_overrides, updated_at) VALUES (@table, @mode, @keys, @overrides, SYSUTCDATETIME());';
/** Every dataset's settings. */
export const LIST_DATASETS_SQL: string = 'SELECT * FROM [refdata].[datasets] ORDER BY table_name;';

// ---- files -------------------------------------------------------------------------------------

/** One file (@id). */
export const GET_FILE_SQL: string = 'SELECT * FROM [refdata].[files] WHERE id = @id;';
/** Files, newest first, at most @limit. */
export const LIST_FILES_SQL: string = 'SELECT TOP (@limit) * FROM [refdata].[files] ORDER BY id DESC;';
/** Files in one status (@status), newest first, at most @limit. */
export const LIST_FILES_BY_STATUS_SQL: string =
  'SELECT TOP (@limit) * FROM [refdata].[files] WHERE status = @status ORDER BY id DESC;';
/** Files with a content hash (@sha). */
export const FILES_BY_SHA256_SQL: string = 'SELECT * FROM [refdata].[files] WHERE sha256 = @sha ORDER BY id;';
/** The oldest file whose content (@sha) was loaded (archived) into a table (@table), other than @exclude (or NULL). */
export const FIND_LOADED_SQL: string =
  "SELECT TOP (1) * FROM [refdata].[files] WHERE sha256 = @sha AND status = N'archived' AND target_table = @table AND (@exclude IS NULL OR id <> @exclude) ORDER BY id;";

// ---- loads -------------------------------------------------------------------------------------

/** Deletes every row of text staging that fails conversion, in one statement (undefined when nothing converts). */
export function deleteConversionFailuresSql(
  staging: string,
  columns: readonly ColumnDef[],
  engine: MssqlEngine = 'sqlserver',
): string | undefined {
  const where = conversionFailureCondition(columns, engine);
  return where === undefined ? undefined : `DELETE FROM ${qualified(SCHEMAS.staging, staging)} WHERE ${where};`;
}

/** The outcome recorded by a commit (@id) that already happened. */
export const COMMIT_RECORD_SQL: string = 'SELECT outcome FROM [refdata].[load_commits] WHERE commit_id = @id;';
/** Records a commit's outcome (@id, @table, @outcome) in its own transaction. */
export const INSERT_COMMIT_RECORD_SQL: string =
  'INSERT INTO [refdata].[load_commits] (commit_id, table_name, outcome, committed_at) VALUES (@id, @table, @outcome, SYSUTCDATETIME());';
