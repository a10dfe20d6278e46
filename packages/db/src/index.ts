/**
 * @refdata/db — one database contract, two dialects: embedded SQLite (better-sqlite3) and
 * SQL Server (tedious). Start with {@link openDatabase}.
 *
 * @packageDocumentation
 */

export type { DbErrorOptions } from './errors.js';
export { DbError, DbErrorCode, isDbError } from './errors.js';
export type { IdentifierKind } from './identifiers.js';
export {
  assertColumnNames,
  assertIdentifier,
  foldIdentifier,
  identifierProblem,
  MAX_IDENTIFIER_LENGTH,
  MAX_TABLE_NAME_LENGTH,
  quoteMssqlIdentifier,
  quoteSqliteIdentifier,
  RESERVED_COLUMN_NAMES,
  tableNameFromFileName,
} from './identifiers.js';
export { noopLogger } from './logger.js';
export { openDatabase } from './open-database.js';
export type {
  AuditEvent,
  AuditOutcome,
  AuditRecord,
  BackupInfo,
  ChangeSummary,
  ColumnDef,
  Database,
  DatasetConfig,
  DbType,
  DbValue,
  Dialect,
  FileClaim,
  FileEntry,
  FileFinish,
  FileProgressPatch,
  FileRecord,
  FileStatus,
  FileTracking,
  HealthReport,
  LoadMode,
  LoadOutcome,
  LoadSession,
  LoadSpec,
  Logger,
  OpenDatabaseOptions,
  RejectedRow,
  SchemaComparison,
  StagedRow,
  StagingReport,
  TableDescription,
} from './types.js';
export { AUDIT_OUTCOMES, DIALECTS, FILE_STATUSES, LOAD_MODES, TERMINAL_FILE_STATUSES } from './types.js';
export type { DatabaseUrl, MssqlEncrypt, MssqlUrl, SqliteUrl } from './url.js';
export { parseDatabaseUrl, redactDatabaseUrl } from './url.js';
export { formatDbType, renderCsvLine, sameDbType } from './values.js';
