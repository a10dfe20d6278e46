/**
 * Least privilege on SQL Server: the DBA's set-up script (a login and database user that owns the
 * schemas the service writes, `GRANT CREATE TABLE`, a read-only role for consumers of `ref`) and
 * the check `health()` makes, which names the exact statement that grants what is missing.
 */
import { quoteMssqlIdentifier as q } from '../../identifiers.js';
import type { HealthReport } from '../../types.js';
import type { MssqlClient } from './mssql-client.js';

/** The schemas the service writes (it owns them; it needs nothing in `dbo`). */
export const SERVICE_SCHEMAS: readonly string[] = ['ref', 'bkp', 'stg', 'refdata'];

/** Options of {@link leastPrivilegeSql}. */
export interface LeastPrivilegeOptions {
  /** The database. */
  readonly database: string;
  /** The service's login (and database user). @default 'refdata_loader' */
  readonly login?: string;
  /** The read-only role for consumers of `ref`. @default 'refdata_reader' */
  readonly readerRole?: string;
}

/**
 * The T-SQL a DBA runs once (as a login that may create logins and schemas) so that the service
 * runs with no server role and no `db_owner`: a login and user owning `ref`, `bkp`, `stg` and
 * `refdata`, `GRANT CREATE TABLE` (SQL Server; Babelfish refuses database-level GRANTs and needs
 * none: owning the schemas is enough there), and a role that may only read `ref`. Batches are
 * separated by `GO` (CREATE SCHEMA must start a batch).
 *
 * @example
 * ```ts
 * console.log(leastPrivilegeSql({ database: 'refdata' }));
 * ```
 */
export function leastPrivilegeSql(options: LeastPrivilegeOptions): string {
  const login = options.login ?? 'refdata_loader';
  const reader = options.readerRole ?? 'refdata_reader';
  const lines = [
    '-- @refdata least-privilege set-up: run once as a DBA (a login that may create logins, users and schemas).',
    `-- The service login ${login} gets no server role and no db_owner: it owns the schemas it writes`,
    '-- (ref, bkp, stg, refdata), may create tables, and has nothing in dbo.',
    '-- Replace the password (or use CREATE LOGIN … FROM WINDOWS / FROM EXTERNAL PROVIDER for',
    '-- Windows or Microsoft Entra ID logins) and keep it in the file DB_PASSWORD_FILE names.',
    '-- A name holding ] is quoted with "…", which needs QUOTED_IDENTIFIER (sqlcmd turns it off without -I).',
    'SET QUOTED_IDENTIFIER ON;',
    'USE [master];',
    'GO',
    `CREATE LOGIN ${q(login)} WITH PASSWORD = N'<a strong password>';`,
    'GO',
    `USE ${q(options.database)};`,
    'GO',
    `CREATE USER ${q(login)} FOR LOGIN ${q(login)};`,
    'GO',
    ...SERVICE_SCHEMAS.flatMap((s) => [`CREATE SCHEMA ${q(s)} AUTHORIZATION ${q(login)};`, 'GO']),
    '-- SQL Server: creating tables needs this database permission besides owning the schema.',
    '-- Babelfish refuses it ("\'GRANT Database\' is not currently supported") and does not need it.',
    `GRANT CREATE TABLE TO ${q(login)};`,
    'GO',
    `-- Consumers of ref: read-only. Add their users with ALTER ROLE ${q(reader)} ADD MEMBER [user];`,
    `CREATE ROLE ${q(reader)};`,
    'GO',
    `GRANT SELECT ON SCHEMA::${q('ref')} TO ${q(reader)};`,
    'GO',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * One row per service schema and one for the database: who owns the schema, whether the current
 * user may write there (owner, db_owner or sysadmin), and whether it may create tables
 * (SQL Server's CREATE TABLE permission; NULL on Babelfish, which has none to grant).
 */
export const PERMISSIONS_SQL: string = `SELECT s.name AS [schema_name],
  CASE WHEN SCHEMA_ID(s.name) IS NULL THEN NULL ELSE USER_NAME(sc.principal_id) END AS [owner],
  USER_NAME() AS [me],
  CAST(COALESCE(IS_MEMBER('db_owner'), 0) AS int) AS [db_owner],
  CAST(COALESCE(IS_SRVROLEMEMBER('sysadmin'), 0) AS int) AS [sysadmin],
  CAST(COALESCE(CAST(SERVERPROPERTY('Babelfish') AS int), 0) AS int) AS [babelfish],
  HAS_PERMS_BY_NAME(NULL, 'DATABASE', 'CREATE TABLE') AS [create_table]
FROM (VALUES ${SERVICE_SCHEMAS.map((s) => `(N'${s}')`).join(', ')}) AS s(name)
LEFT JOIN sys.schemas AS sc ON sc.name = s.name;`;

/** A row of {@link PERMISSIONS_SQL}. */
export interface PermissionRow {
  readonly schema_name: string;
  readonly owner: string | null;
  readonly me: string;
  readonly db_owner: number;
  readonly sysadmin: number;
  readonly babelfish: number;
  readonly create_table: number | null;
}

/** A permission the service lacks, and the statement a DBA runs to grant it. */
export interface MissingPermission {
  /** What is missing, in words. */
  readonly what: string;
  /** The exact T-SQL that grants it. */
  readonly grant: string;
}

/**
 * What the current user lacks to run the service, from the rows of {@link PERMISSIONS_SQL}.
 * Empty for db_owner and sysadmin members.
 */
export function missingPermissions(rows: readonly PermissionRow[]): MissingPermission[] {
  const first = rows[0];
  if (first === undefined || first.db_owner === 1 || first.sysadmin === 1) return [];
  const me = first.me;
  const missing: MissingPermission[] = [];
  for (const r of rows) {
    if (r.owner === null) {
      missing.push({
        what: `schema ${r.schema_name} does not exist (the service may not create schemas)`,
        grant: `CREATE SCHEMA ${q(r.schema_name)} AUTHORIZATION ${q(me)};`,
      });
    } else if (r.owner !== me) {
      missing.push({
        what: `schema ${r.schema_name} is owned by ${r.owner}, not by ${me}`,
        grant: `ALTER AUTHORIZATION ON SCHEMA::${q(r.schema_name)} TO ${q(me)};`,
      });
    }
  }
  if (first.babelfish !== 1 && first.create_table === 0) {
    missing.push({ what: `${me} may not create tables`, grant: `GRANT CREATE TABLE TO ${q(me)};` });
  }
  return missing;
}

/**
 * `report` with the permissions the current user lacks: not ok, with a message that lists the
 * statements to grant them (after the report's own message, when it failed already). A check that
 * cannot run leaves the report as it was (logged).
 */
export async function withPermissions(report: HealthReport, client: MssqlClient): Promise<HealthReport> {
  let rows: PermissionRow[];
  try {
    rows = await client.unit('health', (s) => s.query<PermissionRow>(PERMISSIONS_SQL), { transaction: false });
  } catch (err) {
    client.logger.warn({ code: (err as { code?: unknown }).code }, 'could not check the permissions of the login');
    return report;
  }
  const missing = missingPermissions(rows);
  if (missing.length === 0) return report;
  return {
    ...report,
    ok: false,
    missingPermissions: missing,
    message:
      (report.ok || report.message === undefined ? '' : `${report.message}; `) +
      `the login lacks permissions the service needs; a DBA grants them with: ${missing.map((m) => m.grant).join(' ')}`,
  };
}
