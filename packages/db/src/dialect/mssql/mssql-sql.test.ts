// Exact text of the T-SQL builders, and their parameter limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ColumnDef } from '../../types.js';
import {
  addColumnSql,
  appendSql,
  bootstrapSql,
  CLAIM_NEW_SQL,
  changeSummarySql,
  conversionFailuresSql,
  copyTableSql,
  countSql,
  createDeltaSql,
  createStagingSql,
  createTableSql,
  createTypedSql,
  DESCRIBE_SQL,
  deleteAllSql,
  deleteConversionFailuresSql,
  deleteDuplicateKeysSql,
  deleteNullKeysSql,
  deleteStagedLinesInRangeSql,
  deltaKeysSql,
  dropColumnSql,
  dropLineColumnSql,
  dropTableIfExistsSql,
  duplicateKeysSql,
  ENGINE_SQL,
  FIND_LOADED_SQL,
  fallbackInsertSql,
  fallbackRowsPerStatement,
  fillLiveSql,
  fillTypedConvertSql,
  fillTypedSql,
  HEARTBEAT_SQL,
  LIST_EXPIRED_SQL,
  LIST_TABLES_SQL,
  MARK_RELEASED_SQL,
  MAX_PARAMS_PER_STATEMENT,
  MIGRATION_LOCK_SQL,
  MSSQL_MIGRATIONS,
  nullKeysSql,
  OBJECT_ID_SQL,
  preImagesSql,
  RECLAIM_SQL,
  RENAME_SQL,
  readTableSql,
  refillFromSnapshotSql,
  STALE_STAGING_SQL,
  stagedLinesInRangeSql,
  syncStagingSql,
  TABLE_LOCK_SQL,
  transferSql,
  undoDeltaDeleteSql,
  undoDeltaInsertSql,
  updateFileSql,
  upsertInsertSql,
  upsertUpdateSql,
  widenStagingSql,
} from './mssql-sql.js';
import { conversionReason } from './mssql-types.js';

const cols: ColumnDef[] = [
  { name: 'code', type: { kind: 'text', maxLength: 3 }, nullable: false },
  { name: 'rate]x', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
  { name: 'day', type: { kind: 'date' }, nullable: true },
  { name: 'n', type: { kind: 'int' }, nullable: true },
];

describe('T-SQL builders', () => {
  it('bootstraps the four schemas and the version table idempotently', () => {
    expect(bootstrapSql()).toBe(
      `IF SCHEMA_ID(N'ref') IS NULL EXEC(N'CREATE SCHEMA [ref]');
IF SCHEMA_ID(N'bkp') IS NULL EXEC(N'CREATE SCHEMA [bkp]');
IF SCHEMA_ID(N'stg') IS NULL EXEC(N'CREATE SCHEMA [stg]');
IF SCHEMA_ID(N'refdata') IS NULL EXEC(N'CREATE SCHEMA [refdata]');
IF OBJECT_ID(N'[refdata].[schema_version]', N'U') IS NULL CREATE TABLE [refdata].[schema_version] (version INT NOT NULL PRIMARY KEY, applied_at DATETIME2(3) NOT NULL);`,
    );
    // The return code is checked: a lock that timed out must not let the migration run.
    expect(MIGRATION_LOCK_SQL).toBe(
      "DECLARE @r INT; EXEC @r = sp_getapplock @Resource = N'refdata.migrate', @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000; IF @r < 0 THROW 51000, N'Timed out waiting for another instance to migrate the refdata schemas.', 1;",
    );
  });

  it('creates the metadata of version 1 with a hashed path key for claims', () => {
    const v1 = MSSQL_MIGRATIONS[0] ?? [];
    expect(v1).toHaveLength(12);
    expect(v1[0]).toContain("path_key AS CAST(HASHBYTES('SHA2_256', path) AS BINARY(32)) PERSISTED,");
    expect(v1[1]).toBe('CREATE INDEX [ix_files_path] ON [refdata].[files] (path_key, status);');
    expect(v1.filter((s) => s.startsWith('CREATE TABLE')).map((s) => /CREATE TABLE (\S+)/.exec(s)?.[1])).toEqual([
      '[refdata].[files]',
      '[refdata].[audit]',
      '[refdata].[rejects]',
      '[refdata].[datasets]',
      '[bkp].[catalogue]',
      '[refdata].[load_commits]',
    ]);
  });

  it('creates live, staging and typed staging tables with quoted names and exact types', () => {
    expect(createTableSql('ref', 'cur]rencies', cols)).toBe(
      'CREATE TABLE [ref]."cur]rencies" ([code] NVARCHAR(3) NOT NULL, "rate]x" DECIMAL(38,10) NULL, [day] DATE NULL, [n] INT NULL);',
    );
    expect(createStagingSql('cur.1', cols)).toBe(
      'CREATE TABLE [stg].[cur.1] ([line] BIGINT NOT NULL PRIMARY KEY, [c0] NVARCHAR(3) NULL, [c1] NVARCHAR(64) NULL, [c2] NVARCHAR(64) NULL, [c3] INT NULL);',
    );
    expect(createTypedSql('cur.1.t', cols)).toBe(
      'CREATE TABLE [stg].[cur.1.t] ([code] NVARCHAR(3) NOT NULL, "rate]x" DECIMAL(38,10) NULL, [day] DATE NULL, [n] INT NULL, [__refdata_line] BIGINT NOT NULL);',
    );
  });

  it('widens text staging columns whose staging type changes, and only those (keeping them NULL; Babelfish refuses NULL there)', () => {
    const from: ColumnDef[] = [
      { name: 'id', type: { kind: 'int' }, nullable: false },
      { name: 'big', type: { kind: 'bigint' }, nullable: true },
      { name: 'n', type: { kind: 'int' }, nullable: true },
      { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 2 }, nullable: true },
    ];
    const to: ColumnDef[] = [
      { name: 'id', type: { kind: 'bigint' }, nullable: false },
      { name: 'big', type: { kind: 'decimal', precision: 38, scale: 4 }, nullable: true },
      { name: 'n', type: { kind: 'int' }, nullable: true },
      { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 6 }, nullable: true },
    ];
    expect(widenStagingSql('cur]x.1', from, to)).toEqual([
      'ALTER TABLE [stg]."cur]x.1" ALTER COLUMN [c0] BIGINT NULL;',
      'ALTER TABLE [stg]."cur]x.1" ALTER COLUMN [c1] NVARCHAR(64) NULL;',
    ]);
    expect(widenStagingSql('cur.1', from, to, 'babelfish')).toEqual([
      'ALTER TABLE [stg].[cur.1] ALTER COLUMN [c0] BIGINT;',
      'ALTER TABLE [stg].[cur.1] ALTER COLUMN [c1] NVARCHAR(64);',
    ]);
    expect(widenStagingSql('cur.1', from, from)).toEqual([]);
  });

  it('finds staged values that do not convert and converts the rest with TRY_CONVERT', () => {
    expect(conversionFailuresSql('cur.1', cols)).toBe(
      'SELECT [line], [c0], [c1], [c2], [c3], CASE WHEN [c1] IS NOT NULL AND TRY_CONVERT(DECIMAL(38,10), [c1]) IS NULL THEN 1 ELSE 0 END AS [f1], CASE WHEN [c2] IS NOT NULL AND TRY_CONVERT(DATE, [c2], 23) IS NULL THEN 1 ELSE 0 END AS [f2] FROM [stg].[cur.1] WHERE ([c1] IS NOT NULL AND TRY_CONVERT(DECIMAL(38,10), [c1]) IS NULL) OR ([c2] IS NOT NULL AND TRY_CONVERT(DATE, [c2], 23) IS NULL) ORDER BY [line];',
    );
    expect(conversionFailuresSql('x.1', [cols[0]!, cols[3]!])).toBeUndefined();
    expect(fillTypedSql('cur.1', 'cur.1.t', cols)).toBe(
      'INSERT INTO [stg].[cur.1.t] WITH (TABLOCK) ([code], "rate]x", [day], [n], [__refdata_line]) SELECT [c0], TRY_CONVERT(DECIMAL(38,10), [c1]), TRY_CONVERT(DATE, [c2], 23), [c3], [line] FROM [stg].[cur.1] ORDER BY [line];',
    );
    // The optimistic fill: the same conversions with CONVERT, failing as a whole on a bad value.
    expect(fillTypedConvertSql('cur.1', 'cur.1.t', cols)).toBe(
      'INSERT INTO [stg].[cur.1.t] WITH (TABLOCK) ([code], "rate]x", [day], [n], [__refdata_line]) SELECT [c0], CONVERT(DECIMAL(38,10), [c1]), CONVERT(DATE, [c2], 23), [c3], [line] FROM [stg].[cur.1] ORDER BY [line];',
    );
    // Babelfish: typed staging never becomes live itself, so it is filled without sorting.
    expect(fillTypedConvertSql('cur.1', 'cur.1.t', cols, false)).toBe(
      'INSERT INTO [stg].[cur.1.t] WITH (TABLOCK) ([code], "rate]x", [day], [n], [__refdata_line]) SELECT [c0], CONVERT(DECIMAL(38,10), [c1]), CONVERT(DATE, [c2], 23), [c3], [line] FROM [stg].[cur.1];',
    );
    expect(syncStagingSql('cur.1', 'cur.1.t')).toBe(
      'DELETE FROM [stg].[cur.1] WHERE [line] NOT IN (SELECT [__refdata_line] FROM [stg].[cur.1.t]);',
    );
    // Every row that does not convert goes in one statement, not one round trip per line.
    expect(deleteConversionFailuresSql('cur.1', cols)).toBe(
      'DELETE FROM [stg].[cur.1] WHERE ([c1] IS NOT NULL AND TRY_CONVERT(DECIMAL(38,10), [c1]) IS NULL) OR ([c2] IS NOT NULL AND TRY_CONVERT(DATE, [c2], 23) IS NULL);',
    );
    expect(deleteConversionFailuresSql('x.1', [cols[0]!, cols[3]!])).toBeUndefined();
  });

  it('turns a 7th fraction digit into a conversion error on Babelfish only (it keeps 6 and would round)', () => {
    const t7: ColumnDef[] = [
      { name: 'at', type: { kind: 'time', fractionDigits: 7 }, nullable: true },
      { name: 'ts', type: { kind: 'datetime', offset: false, fractionDigits: 3 }, nullable: true },
    ];
    const guarded =
      "CASE WHEN CHARINDEX(N'.', [c0]) > 0 AND SUBSTRING([c0], CHARINDEX(N'.', [c0]) + 7, 1) IN (N'1', N'2', N'3', N'4', N'5', N'6', N'7', N'8', N'9') THEN N'-' ELSE [c0] END";
    expect(fillTypedConvertSql('x.1', 'x.1.t', t7, false, 'babelfish')).toBe(
      `INSERT INTO [stg].[x.1.t] WITH (TABLOCK) ([at], [ts], [__refdata_line]) SELECT CONVERT(TIME(7), ${guarded}), CONVERT(DATETIME2(3), [c1], 126), [line] FROM [stg].[x.1];`,
    );
    expect(deleteConversionFailuresSql('x.1', t7, 'babelfish')).toBe(
      `DELETE FROM [stg].[x.1] WHERE ([c0] IS NOT NULL AND TRY_CONVERT(TIME(7), ${guarded}) IS NULL) OR ([c1] IS NOT NULL AND TRY_CONVERT(DATETIME2(3), [c1], 126) IS NULL);`,
    );
    // SQL Server keeps 7 digits: its statements are unchanged.
    expect(deleteConversionFailuresSql('x.1', t7)).toBe(
      'DELETE FROM [stg].[x.1] WHERE ([c0] IS NOT NULL AND TRY_CONVERT(TIME(7), [c0]) IS NULL) OR ([c1] IS NOT NULL AND TRY_CONVERT(DATETIME2(3), [c1], 126) IS NULL);',
    );
    expect(conversionReason(t7[0]!, '12:00:00.1234567', 'babelfish')).toMatch(
      /has 7 fraction digits.*Babelfish keeps 6/,
    );
    expect(conversionReason(t7[0]!, '12:00:00.1234567', 'sqlserver')).toBe(
      'the server could not convert "12:00:00.1234567" to time(7) (TRY_CONVERT failed)',
    );
  });

  it('reports and removes null and duplicate keys on typed staging', () => {
    const two = [cols[0]!, cols[3]!];
    expect(nullKeysSql('t.1.t', ['code'], two)).toBe(
      'SELECT [__refdata_line] AS [line], [code] AS [v0], [n] AS [v1] FROM [stg].[t.1.t] WHERE [code] IS NULL ORDER BY [__refdata_line];',
    );
    expect(deleteNullKeysSql('t.1.t', ['code', 'n'])).toBe(
      'DELETE FROM [stg].[t.1.t] WHERE [code] IS NULL OR [n] IS NULL;',
    );
    expect(duplicateKeysSql('t.1.t', ['code'], two)).toBe(
      'SELECT d.[line], d.[first_line], d.[first_k0], d.[v0], d.[v1] FROM (SELECT [__refdata_line] AS [line], MIN([__refdata_line]) OVER (PARTITION BY [code]) AS [first_line], FIRST_VALUE([code]) OVER (PARTITION BY [code] ORDER BY [__refdata_line] ROWS UNBOUNDED PRECEDING) AS [first_k0], [code] AS [v0], [n] AS [v1] FROM [stg].[t.1.t]) AS d WHERE d.[line] <> d.[first_line] ORDER BY d.[line];',
    );
    expect(deleteDuplicateKeysSql('t.1.t', ['code'])).toBe(
      'DELETE FROM [stg].[t.1.t] WHERE [__refdata_line] IN (SELECT d.[line] FROM (SELECT [__refdata_line] AS [line], MIN([__refdata_line]) OVER (PARTITION BY [code]) AS [first_line] FROM [stg].[t.1.t]) AS d WHERE d.[line] <> d.[first_line]);',
    );
  });

  it('replaces in place (copy to bkp, delete, refill) and moves new tables by schema transfer on SQL Server', () => {
    expect(ENGINE_SQL).toBe("SELECT CAST(SERVERPROPERTY('Babelfish') AS int) AS [babelfish], @@VERSION AS [version];");
    expect(deleteAllSql('ref', 'cur')).toBe('DELETE FROM [ref].[cur];');
    expect(fillLiveSql('cur.1.t', 'cur', ['code', 'rate]x'])).toBe(
      'INSERT INTO [ref].[cur] ([code], "rate]x") SELECT [code], "rate]x" FROM [stg].[cur.1.t] ORDER BY [__refdata_line];',
    );
    expect(refillFromSnapshotSql('cur.s', 'cur', ['code'])).toBe(
      'INSERT INTO [ref].[cur] ([code]) SELECT [code] FROM [bkp].[cur.s];',
    );
    expect(transferSql('bkp', 'ref', 'cur.20250101T000000000Z')).toBe(
      'ALTER SCHEMA [bkp] TRANSFER [ref].[cur.20250101T000000000Z];',
    );
    expect(RENAME_SQL).toBe("EXEC sp_rename @objname = @objname, @newname = @newname, @objtype = N'OBJECT';");
    expect(dropLineColumnSql('cur.1.t')).toBe('ALTER TABLE [stg].[cur.1.t] DROP COLUMN [__refdata_line];');
    expect(copyTableSql('ref', 'cur', 'bkp', 'cur.s')).toBe('SELECT * INTO [bkp].[cur.s] FROM [ref].[cur];');
    expect(dropTableIfExistsSql('bkp', 'a]b')).toBe('DROP TABLE IF EXISTS [bkp]."a]b";');
    expect(countSql('ref', 'cur')).toBe('SELECT COUNT_BIG(*) AS [n] FROM [ref].[cur];');
    expect(TABLE_LOCK_SQL).toBe(
      "DECLARE @r INT; EXEC @r = sp_getapplock @Resource = @resource, @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000; IF @r < 0 THROW 51000, N'Timed out waiting for another load of the same table.', 1;",
    );
  });

  it('adds what a delta snapshot needs to the catalogue in migration 3, one column per ALTER (Babelfish refuses a list)', () => {
    expect(MSSQL_MIGRATIONS[2]).toEqual([
      "ALTER TABLE [bkp].[catalogue] ADD kind NVARCHAR(5) NOT NULL CONSTRAINT [df_catalogue_kind] DEFAULT N'full';",
      'ALTER TABLE [bkp].[catalogue] ADD key_columns NVARCHAR(MAX) NULL;',
      'ALTER TABLE [bkp].[catalogue] ADD columns_before NVARCHAR(MAX) NULL;',
      'ALTER TABLE [bkp].[catalogue] ADD rows_after BIGINT NULL;',
    ]);
  });

  it('takes a keyed delta snapshot (pre-images and the keys written) and undoes it in place, never through an alias', () => {
    expect(createDeltaSql('cur.20240101T000000000Z', cols.slice(0, 2))).toBe(
      'CREATE TABLE [bkp].[cur.20240101T000000000Z] ([code] NVARCHAR(3) NULL, "rate]x" DECIMAL(38,10) NULL, [__refdata_line] BIGINT NULL);',
    );
    expect(preImagesSql('c.1.t', 'cur', 'cur.s', ['code', 'day'], ['code', 'day', 'n'])).toBe(
      'INSERT INTO [bkp].[cur.s] ([code], [day], [n]) SELECT l.[code], l.[day], l.[n] FROM [ref].[cur] AS l WHERE EXISTS (SELECT 1 FROM [stg].[c.1.t] AS s WHERE s.[code] = l.[code] AND s.[day] = l.[day]);',
    );
    expect(deltaKeysSql('c.1.t', 'cur.s', ['code', 'day'])).toBe(
      'INSERT INTO [bkp].[cur.s] ([code], [day], [__refdata_line]) SELECT [code], [day], [__refdata_line] FROM [stg].[c.1.t];',
    );
    expect(undoDeltaDeleteSql('cur.s', 'cur', ['code', 'day'])).toBe(
      'DELETE FROM [ref].[cur] WHERE EXISTS (SELECT 1 FROM [bkp].[cur.s] AS d WHERE d.[__refdata_line] IS NOT NULL AND d.[code] = [ref].[cur].[code] AND d.[day] = [ref].[cur].[day]);',
    );
    expect(undoDeltaInsertSql('cur.s', 'cur', ['code', 'day', 'n'])).toBe(
      'INSERT INTO [ref].[cur] ([code], [day], [n]) SELECT [code], [day], [n] FROM [bkp].[cur.s] WHERE [__refdata_line] IS NULL;',
    );
    expect(dropColumnSql('cur', 'sym]')).toBe('ALTER TABLE [ref].[cur] DROP COLUMN "sym]";');
  });

  it('upserts as UPDATE then INSERT … WHERE NOT EXISTS, never MERGE', () => {
    expect(upsertUpdateSql('c.1.t', 'cur', ['code'], ['name', 'n'])).toBe(
      'UPDATE l SET l.[name] = s.[name], l.[n] = s.[n] FROM [ref].[cur] AS l WITH (UPDLOCK, HOLDLOCK) JOIN [stg].[c.1.t] AS s ON l.[code] = s.[code];',
    );
    expect(upsertUpdateSql('c.1.t', 'cur', ['code'], [])).toBeUndefined();
    expect(upsertInsertSql('c.1.t', 'cur', ['code', 'day'], ['code', 'day', 'n'])).toBe(
      'INSERT INTO [ref].[cur] ([code], [day], [n]) SELECT s.[code], s.[day], s.[n] FROM [stg].[c.1.t] AS s WHERE NOT EXISTS (SELECT 1 FROM [ref].[cur] AS l WITH (UPDLOCK, HOLDLOCK) WHERE l.[code] = s.[code] AND l.[day] = s.[day]) ORDER BY s.[__refdata_line];',
    );
    expect(appendSql('c.1.t', 'cur', ['code', 'n'])).toBe(
      'INSERT INTO [ref].[cur] ([code], [n]) SELECT [code], [n] FROM [stg].[c.1.t] ORDER BY [__refdata_line];',
    );
    for (const sql of [upsertUpdateSql('a', 'b', ['k'], ['v']), upsertInsertSql('a', 'b', ['k'], ['k', 'v'])])
      expect(sql).not.toMatch(/MERGE/i);
  });

  it('summarises changes with NULL-safe comparisons', () => {
    expect(changeSummarySql('c.1.t', 'cur', ['code'], ['name'])).toBe(`SELECT
  (SELECT COUNT_BIG(*) FROM [stg].[c.1.t] AS s WHERE NOT EXISTS (SELECT 1 FROM [ref].[cur] AS l WHERE l.[code] = s.[code])) AS [added],
  (SELECT COUNT_BIG(*) FROM [ref].[cur] AS l WHERE NOT EXISTS (SELECT 1 FROM [stg].[c.1.t] AS s WHERE s.[code] = l.[code])) AS [removed],
  (SELECT COUNT_BIG(*) FROM [stg].[c.1.t] AS s JOIN [ref].[cur] AS l ON l.[code] = s.[code]) AS [matched],
  (SELECT COUNT_BIG(*) FROM [stg].[c.1.t] AS s JOIN [ref].[cur] AS l ON l.[code] = s.[code] WHERE EXISTS (SELECT s.[name] EXCEPT SELECT l.[name])) AS [changed];`);
  });

  it('does not read every live row for an upsert: removed is counted only for a replace', () => {
    const upsert = changeSummarySql('c.1.t', 'cur', ['code'], ['name'], { removed: false });
    expect(upsert).toContain('CAST(0 AS BIGINT) AS [removed]');
    // Every remaining count starts from staging (the file), none from the live table.
    expect(upsert).not.toContain('FROM [ref].[cur] AS l WHERE NOT EXISTS');
    expect(upsert.match(/COUNT_BIG\(\*\) FROM \[stg\]/g)).toHaveLength(3);
  });

  it('reads values exactly through CONVERT to text', () => {
    expect(readTableSql('cur', cols)).toBe(
      'SELECT [code] AS [v0], CONVERT(NVARCHAR(64), "rate]x") AS [v1], CONVERT(NVARCHAR(10), [day], 23) AS [v2], [n] AS [v3] FROM [ref].[cur];',
    );
    expect(readTableSql('cur', cols.slice(0, 1), ['code', 'n]'])).toBe(
      'SELECT [code] AS [v0] FROM [ref].[cur] ORDER BY [code], "n]";',
    );
    expect(
      addColumnSql('cur', { name: 'at', type: { kind: 'datetime', offset: true, fractionDigits: 3 }, nullable: false }),
    ).toBe('ALTER TABLE [ref].[cur] ADD [at] DATETIMEOFFSET(3) NULL;');
  });

  it('describes tables by parameterised name', () => {
    expect(OBJECT_ID_SQL).toBe("SELECT OBJECT_ID(@name, N'U') AS [id];");
    expect(DESCRIBE_SQL).toContain(
      'FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = @schema AND TABLE_NAME = @table ORDER BY ORDINAL_POSITION;',
    );
    expect(LIST_TABLES_SQL).toBe(
      "SELECT t.name AS [name] FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(N'ref') ORDER BY t.name;",
    );
    expect(STALE_STAGING_SQL).toBe(
      "SELECT t.name AS [name] FROM sys.tables AS t WHERE t.schema_id = SCHEMA_ID(N'stg') AND t.create_date < DATEADD(HOUR, -24, GETDATE());",
    );
    expect(stagedLinesInRangeSql('c.1')).toBe(
      'SELECT COUNT_BIG(*) AS [n] FROM [stg].[c.1] WHERE [line] BETWEEN @first AND @last;',
    );
    expect(deleteStagedLinesInRangeSql('c.1')).toBe('DELETE FROM [stg].[c.1] WHERE [line] BETWEEN @first AND @last;');
  });

  it('claims by compare-and-set on server time, read back by token: no table hints, no OUTPUT', () => {
    const active = "(N'detected', N'stabilizing', N'ready', N'claimed', N'processing')";
    const key = "CAST(HASHBYTES('SHA2_256', @path) AS BINARY(32))";
    expect(CLAIM_NEW_SQL).toBe(`DECLARE @now DATETIME2(3) = SYSUTCDATETIME();
UPDATE [refdata].[files] SET name = @name, size = @size, mtime_ms = @mtime, status = N'claimed', claimed_at = @now, instance_id = @instance, lease_until = DATEADD(MILLISECOND, @lease_ms, @now), token = @token
WHERE path_key = ${key} AND path = @path AND status IN ${active} AND (lease_until IS NULL OR lease_until <= @now);
IF @@ROWCOUNT = 0
  INSERT INTO [refdata].[files] (path, name, size, mtime_ms, status, detected_at, claimed_at, instance_id, lease_until, token)
  SELECT @path, @name, @size, @mtime, N'claimed', @now, @now, @instance, DATEADD(MILLISECOND, @lease_ms, @now), @token
  WHERE NOT EXISTS (SELECT 1 FROM [refdata].[files] WHERE path_key = ${key} AND path = @path AND status IN ${active});
SELECT id, lease_until FROM [refdata].[files] WHERE path_key = ${key} AND token = @token;`);
    expect(RECLAIM_SQL).toBe(`DECLARE @now DATETIME2(3) = SYSUTCDATETIME();
UPDATE [refdata].[files] SET status = N'claimed', claimed_at = @now, instance_id = @instance, lease_until = DATEADD(MILLISECOND, @lease_ms, @now), token = @token
WHERE id = @id AND status IN ${active} AND (lease_until IS NULL OR lease_until <= @now);
SELECT lease_until FROM [refdata].[files] WHERE id = @id AND token = @token;`);
    for (const sql of [CLAIM_NEW_SQL, RECLAIM_SQL]) expect(sql).not.toMatch(/UPDLOCK|READPAST|OUTPUT/);
    // The unique index that makes "one active row per path" an engine rule (migration 2).
    expect(MSSQL_MIGRATIONS[1]).toEqual([
      `CREATE UNIQUE INDEX [ux_files_active_path] ON [refdata].[files] (path_key) WHERE status IN ${active};`,
    ]);
    expect(HEARTBEAT_SQL).toBe(
      "UPDATE [refdata].[files] SET lease_until = DATEADD(MILLISECOND, @lease_ms, SYSUTCDATETIME()) WHERE id = @id AND token = @token AND status NOT IN (N'archived', N'failed', N'duplicate', N'held', N'released');",
    );
    expect(updateFileSql(['rows_read = @rows_read'], false)).toBe(
      "UPDATE [refdata].[files] SET rows_read = @rows_read WHERE id = @id AND token = @token AND status NOT IN (N'archived', N'failed', N'duplicate', N'held', N'released');",
    );
    // An empty patch must not assign the IDENTITY column (error 8102 on SQL Server).
    expect(updateFileSql([], true)).toBe(
      'UPDATE [refdata].[files] SET status = status WHERE id = @id AND token = @token;',
    );
    expect(updateFileSql([], false)).not.toMatch(/\bid = id\b/);
    expect(LIST_EXPIRED_SQL).toBe(
      "SELECT * FROM [refdata].[files] WHERE status NOT IN (N'archived', N'failed', N'duplicate', N'held', N'released') AND (lease_until IS NULL OR lease_until <= SYSUTCDATETIME()) ORDER BY id;",
    );
    expect(MARK_RELEASED_SQL).toBe(
      "UPDATE [refdata].[files] SET status = N'released', path = @path WHERE id = @id AND status = N'held';",
    );
    expect(FIND_LOADED_SQL).toBe(
      "SELECT TOP (1) * FROM [refdata].[files] WHERE sha256 = @sha AND status = N'archived' AND target_table = @table AND (@exclude IS NULL OR id <> @exclude) ORDER BY id;",
    );
    for (const sql of [CLAIM_NEW_SQL, RECLAIM_SQL, HEARTBEAT_SQL]) expect(sql).not.toMatch(/GETDATE\(\)|@now_client/);
  });
});

describe('fallback parameterised INSERT', () => {
  it('writes generated parameter names row by row', () => {
    expect(fallbackInsertSql('c.1', 2, 2)).toBe(
      'INSERT INTO [stg].[c.1] ([line], [c0], [c1]) VALUES (@p0, @p1, @p2), (@p3, @p4, @p5);',
    );
  });

  it('uses min(1000, floor(2098 / columns)) rows per statement', () => {
    expect(fallbackRowsPerStatement(1)).toBe(1000);
    expect(fallbackRowsPerStatement(2)).toBe(1000);
    expect(fallbackRowsPerStatement(3)).toBe(699);
    expect(fallbackRowsPerStatement(11)).toBe(190);
    expect(fallbackRowsPerStatement(1025)).toBe(2);
  });

  it('never exceeds 2,098 parameters or 1,000 rows for 1–1,024 columns', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1024 }), (columns) => {
        const per = fallbackRowsPerStatement(columns + 1);
        expect(per).toBeGreaterThanOrEqual(1);
        expect(per).toBeLessThanOrEqual(1000);
        // The fullest statement a load of any size sends.
        const params = fallbackInsertSql('t.1', columns, per).match(/@p\d+/g) ?? [];
        expect(params.length).toBe(per * (columns + 1));
        expect(params.length).toBeLessThanOrEqual(MAX_PARAMS_PER_STATEMENT);
        expect(new Set(params).size).toBe(params.length);
      }),
      { numRuns: 100 },
    );
    for (let columns = 1; columns <= 1024; columns++) {
      expect(fallbackRowsPerStatement(columns + 1) * (columns + 1)).toBeLessThanOrEqual(MAX_PARAMS_PER_STATEMENT);
    }
  });
});
