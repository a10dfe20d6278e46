/**
 * @refdata/db — one database contract, two dialects: embedded SQLite (better-sqlite3) and
 * SQL Server (tedious). Start with {@link openDatabase}.
 *
 * @packageDocumentation
 */

export type { MssqlAuthentication, MssqlAuthenticationType } from './dialect/mssql/mssql-auth.js';
export { MSSQL_AUTHENTICATION_TYPES } from './dialect/mssql/mssql-auth.js';
export type { LeastPrivilegeOptions, MissingPermission } from './dialect/mssql/mssql-privileges.js';
export { leastPrivilegeSql as mssqlLeastPrivilegeSql, SERVICE_SCHEMAS } from './dialect/mssql/mssql-privileges.js';
export type { DbErrorOptions } from './errors.js';
export { DbError, DbErrorCode, isDbError } from './errors.js';
export { tableNameFromFileName } from './identifiers.js';
export { openDatabase } from './open-database.js';
export type {
  AppliedCommitDetails,
  AsyncMethodName,
  AuditDetails,
  AuditDetailsByStep,
  AuditDetailsOf,
  AuditEvent,
  AuditOutcome,
  AuditRecord,
  AuditStep,
  BackupInfo,
  CallerAuditStep,
  ChangeSummary,
  ColumnDef,
  ColumnWidening,
  Database,
  DatabaseAuditStep,
  DatabaseOperation,
  DatabaseOperationName,
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
  FindLoadedQuery,
  HealthReport,
  HeldCommitDetails,
  HistoryPruneResult,
  LoadMode,
  LoadOutcome,
  LoadSession,
  LoadSpec,
  Logger,
  OpenDatabaseOptions,
  PruneAuditDetails,
  RejectedRow,
  RestoreAuditDetails,
  SchemaComparison,
  SnapshotKind,
  StagedRow,
  StagedRows,
  StagingReport,
  TableDescription,
} from './types.js';
export {
  AUDIT_OUTCOMES,
  AUDIT_STEPS,
  DATABASE_AUDIT_STEPS,
  DIALECTS,
  FILE_STATUSES,
  LOAD_MODES,
  SNAPSHOT_KINDS,
  TERMINAL_FILE_STATUSES,
} from './types.js';
export type { DatabaseUrl, MssqlEncrypt, MssqlUrl, SqliteUrl } from './url.js';
export { parseDatabaseUrl } from './url.js';
export { formatDbType, renderCsvLine } from './values.js';
