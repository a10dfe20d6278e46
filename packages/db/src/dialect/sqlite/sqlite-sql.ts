/**
 * SQL text for the SQLite dialect, in small builders and constants. Every identifier goes through
 * {@link quoteSqliteIdentifier}; every value is a bound parameter.
 */
import { quoteSqliteIdentifier as q } from '../../identifiers.js';
import { type ColumnDef, TERMINAL_FILE_STATUSES } from '../../types.js';
import { sqliteDeclaredType } from './sqlite-types.js';

/** Physical name of the live table of `table`. */
export const liveTableName = (table: string): string => `ref.${table}`;
/** Physical name of a snapshot (`snapshot` is the logical `<table>.<stamp>`). */
export const snapshotTableName = (snapshot: string): string => `bkp.${snapshot}`;
/** Physical name of a staging table. */
export const stagingTableName = (table: string, id: string): string => `stg.${table}.${id}`;

/** Metadata tables (physical names). */
export const META = {
  version: 'refdata.schema_version',
  files: 'refdata.files',
  audit: 'refdata.audit',
  rejects: 'refdata.rejects',
  datasets: 'refdata.datasets',
  catalogue: 'bkp.catalogue',
} as const;

/** Terminal statuses as an SQL list literal (constants, not user data). */
export const TERMINAL_SQL: string = `(${TERMINAL_FILE_STATUSES.map((s) => `'${s}'`).join(',')})`;

/**
 * Versioned migrations of our own metadata objects. Index i holds the statements that bring the
 * schema from version i to i + 1. Later releases append; they never edit a shipped entry.
 */
export const SQLITE_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE ${q(META.files)} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  path TEXT NOT NULL,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms INTEGER,
  sha256 TEXT,
  status TEXT NOT NULL,
  detected_at INTEGER NOT NULL,
  claimed_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  rows_read INTEGER,
  rows_loaded INTEGER,
  rows_rejected INTEGER,
  target_table TEXT,
  error_code TEXT,
  error_message TEXT,
  instance_id TEXT,
  lease_until INTEGER,
  token TEXT
)`,
    `CREATE INDEX ${q('refdata.files.path')} ON ${q(META.files)} (path, status)`,
    `CREATE INDEX ${q('refdata.files.sha256')} ON ${q(META.files)} (sha256)`,
    `CREATE INDEX ${q('refdata.files.status')} ON ${q(META.files)} (status, lease_until)`,
    `CREATE TABLE ${q(META.audit)} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id INTEGER,
  step TEXT NOT NULL,
  outcome TEXT NOT NULL,
  duration_ms REAL,
  details TEXT,
  at INTEGER NOT NULL
)`,
    `CREATE INDEX ${q('refdata.audit.file')} ON ${q(META.audit)} (file_id, id)`,
    `CREATE TABLE ${q(META.rejects)} (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id INTEGER NOT NULL,
  line INTEGER NOT NULL,
  raw TEXT NOT NULL,
  column_name TEXT,
  value TEXT,
  reason TEXT NOT NULL
)`,
    `CREATE INDEX ${q('refdata.rejects.file')} ON ${q(META.rejects)} (file_id, line)`,
    `CREATE TABLE ${q(META.datasets)} (
  table_name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  mode TEXT NOT NULL,
  key_columns TEXT NOT NULL,
  type_overrides TEXT NOT NULL,
  updated_at INTEGER NOT NULL
)`,
    `CREATE TABLE ${q(META.catalogue)} (
  snapshot TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
  table_name TEXT NOT NULL COLLATE NOCASE,
  taken_at INTEGER NOT NULL,
  rows INTEGER NOT NULL,
  source_file TEXT,
  file_id INTEGER,
  reason TEXT NOT NULL
)`,
    `CREATE INDEX ${q('bkp.catalogue.table')} ON ${q(META.catalogue)} (table_name, taken_at)`,
  ],
  [
    // Delta snapshots of appends and upserts: what undoing one needs (see sqlite-backups.ts).
    `ALTER TABLE ${q(META.catalogue)} ADD COLUMN kind TEXT NOT NULL DEFAULT 'full'`,
    `ALTER TABLE ${q(META.catalogue)} ADD COLUMN key_columns TEXT`,
    `ALTER TABLE ${q(META.catalogue)} ADD COLUMN columns_before TEXT`,
    `ALTER TABLE ${q(META.catalogue)} ADD COLUMN rows_after INTEGER`,
    `ALTER TABLE ${q(META.catalogue)} ADD COLUMN watermark INTEGER`,
  ],
];

/** Column definition list for CREATE TABLE. */
export function columnDefinitionsSql(columns: readonly ColumnDef[]): string {
  return columns.map((c) => `${q(c.name)} ${sqliteDeclaredType(c.type)}${c.nullable ? '' : ' NOT NULL'}`).join(', ');
}

/** `CREATE TABLE "name" (…)`. */
export function createTableSql(physical: string, columns: readonly ColumnDef[]): string {
  return `CREATE TABLE ${q(physical)} (${columnDefinitionsSql(columns)})`;
}

/** A multi-row INSERT of `rows` rows into staging: the rowid alias carries the source line. */
export function stagingInsertSql(
  physical: string,
  rowidAlias: string,
  columns: readonly ColumnDef[],
  rows: number,
): string {
  const names = [rowidAlias, ...columns.map((c) => q(c.name))].join(', ');
  const tuple = `(${new Array(columns.length + 1).fill('?').join(', ')})`;
  return `INSERT INTO ${q(physical)} (${names}) VALUES ${new Array(rows).fill(tuple).join(', ')}`;
}

/** `ALTER TABLE "from" RENAME TO "to"`. */
export function renameTableSql(from: string, to: string): string {
  return `ALTER TABLE ${q(from)} RENAME TO ${q(to)}`;
}

/** `DROP TABLE IF EXISTS "name"`. */
export function dropTableSql(physical: string): string {
  return `DROP TABLE IF EXISTS ${q(physical)}`;
}

/** `SELECT COUNT(*) FROM "name"`. */
export function countSql(physical: string): string {
  return `SELECT COUNT(*) FROM ${q(physical)}`;
}

/** Copies every row of `from` into `to` (same columns, in order of rowid). */
export function copyRowsSql(from: string, to: string, columns: readonly string[], rowidAlias: string): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${q(to)} (${list}) SELECT ${list} FROM ${q(from)} ORDER BY ${rowidAlias}`;
}

/**
 * Copies every row of `from` into `to` keeping each row's rowid (so a delta snapshot's rowid
 * watermark and pre-images still point at the right rows after a restore rebuilds the table).
 */
export function copyRowsKeepingRowidSql(
  from: string,
  to: string,
  columns: readonly string[],
  rowidAlias: string,
): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${q(to)} (${rowidAlias}, ${list}) SELECT ${rowidAlias}, ${list} FROM ${q(from)} ORDER BY ${rowidAlias}`;
}

/** The largest rowid of a table, 0 when it is empty: an append's or upsert's watermark. */
export function maxRowidSql(physical: string, rowidAlias: string): string {
  return `SELECT COALESCE(MAX(${rowidAlias}), 0) FROM ${q(physical)}`;
}

/**
 * A delta snapshot's pre-images: the live rows whose key the file holds (the rows an upsert's
 * UPDATE changes), each under its live rowid. `CROSS JOIN` makes SQLite scan live once and look
 * each row up in staging (an automatic index on the file's rows), as it plans the UPDATE; the
 * planner's own choice built an automatic index over every live row (200 ms instead of 16 ms at
 * 500,000 live rows × 1,000 staged).
 */
export function preImagesSql(
  staging: string,
  live: string,
  snapshot: string,
  keys: readonly string[],
  columns: readonly string[],
  rowidAlias: string,
): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${q(snapshot)} (${rowidAlias}, ${list}) SELECT l.${rowidAlias}, ${columns.map((c) => `l.${q(c)}`).join(', ')} FROM ${q(live)} AS l CROSS JOIN ${q(staging)} AS s WHERE ${keyJoin('l', 's', keys)}`;
}

/** Rows above a watermark (parameter: the watermark): the rows an append or upsert inserted. */
export function countAboveSql(physical: string, rowidAlias: string): string {
  return `SELECT COUNT(*) FROM ${q(physical)} WHERE ${rowidAlias} > ?`;
}

/** Deletes the rows above a watermark (parameter: the watermark). */
export function deleteAboveSql(physical: string, rowidAlias: string): string {
  return `DELETE FROM ${q(physical)} WHERE ${rowidAlias} > ?`;
}

/** `ALTER TABLE "t" DROP COLUMN "c"` (a column a load added, dropped by a restore). */
export function dropColumnSql(physical: string, column: string): string {
  return `ALTER TABLE ${q(physical)} DROP COLUMN ${q(column)}`;
}

/** Puts a delta snapshot's pre-images back over the live rows with the same rowid. */
export function restorePreImagesSql(
  snapshot: string,
  live: string,
  columns: readonly string[],
  rowidAlias: string,
): string {
  return `UPDATE ${q(live)} AS l SET ${columns.map((c) => `${q(c)} = d.${q(c)}`).join(', ')} FROM ${q(snapshot)} AS d WHERE l.${rowidAlias} = d.${rowidAlias}`;
}

/** Rows of staging whose key repeats an earlier row (by line): line and key values. */
export function duplicateKeysSql(
  staging: string,
  rowidAlias: string,
  keys: readonly string[],
  columns: readonly string[],
): string {
  const keyList = keys.map(q).join(', ');
  const cols = columns.map(q).join(', ');
  return `SELECT line, first_line, ${cols} FROM (SELECT ${rowidAlias} AS line, MIN(${rowidAlias}) OVER (PARTITION BY ${keyList}) AS first_line, ${cols} FROM ${q(staging)}) WHERE line <> first_line ORDER BY line`;
}

/** Rows of staging with a NULL in a key column. */
export function nullKeysSql(
  staging: string,
  rowidAlias: string,
  keys: readonly string[],
  columns: readonly string[],
): string {
  return `SELECT ${rowidAlias} AS line, ${columns.map(q).join(', ')} FROM ${q(staging)} WHERE ${keys.map((k) => `${q(k)} IS NULL`).join(' OR ')} ORDER BY ${rowidAlias}`;
}

/**
 * Staged rows (line first, then every column) whose decimal text in `column` has more than
 * `maxInt` integer digits: `-0.5` has none, `-100.25` three (canonical text has no leading zeros).
 */
export function decimalDigitsOverSql(
  staging: string,
  rowidAlias: string,
  column: string,
  columns: readonly string[],
  maxInt: number,
): string {
  const c = q(column);
  return `SELECT ${rowidAlias} AS line, ${columns.map(q).join(', ')} FROM ${q(staging)} WHERE ${c} IS NOT NULL AND length(ltrim(substr(${c}, 1, instr(${c} || '.', '.') - 1), '-0')) > ${Math.trunc(maxInt)} ORDER BY ${rowidAlias}`;
}

/** `DELETE FROM staging WHERE rowid = ?`. */
export function deleteLineSql(staging: string, rowidAlias: string): string {
  return `DELETE FROM ${q(staging)} WHERE ${rowidAlias} = ?`;
}

/**
 * How the statements below meet the live table: `live AS l CROSS JOIN staging AS s WHERE <keys>`,
 * which makes SQLite scan live once and look each row up in an automatic index over the file's
 * rows. Not `WHERE NOT EXISTS (SELECT … FROM live …)`: SQLite runs that correlated subquery as a
 * full scan of the other table per row (an upsert of 1,000 rows into 500,000 took 20 s per
 * statement, a keyed replace's `removed` count 44 s). Not `staging LEFT JOIN live` either: that
 * builds an automatic index over every live row each time (≈ 100–150 ms per statement at 500,000
 * live rows, against ≈ 20 ms for the scan). Staged keys are never NULL and never repeat
 * (validation removed those rows), so the counts are exact even when live holds NULL or repeated
 * keys.
 */
const matchedKeys = (staging: string, live: string, keys: readonly string[]): string =>
  `SELECT ${keys.map((k) => `s.${q(k)}`).join(', ')} FROM ${q(live)} AS l CROSS JOIN ${q(staging)} AS s WHERE ${keyJoin('l', 's', keys)}`;

const keyJoin = (a: string, b: string, keys: readonly string[]): string =>
  keys.map((k) => `${a}.${q(k)} = ${b}.${q(k)}`).join(' AND ');

/** Change summary counts between a staging table and the live table (keys non-null and unique in staging). */
export function changeSummarySql(
  staging: string,
  live: string,
  keys: readonly string[],
  values: readonly string[],
): { added: string; removed: string; matched: string; changed: string } {
  const differs = values.length === 0 ? '0' : values.map((v) => `s.${q(v)} IS NOT l.${q(v)}`).join(' OR ');
  return {
    // Staged rows minus the staged keys some live row has.
    added: `SELECT (SELECT COUNT(*) FROM ${q(staging)}) - (SELECT COUNT(*) FROM (SELECT DISTINCT ${keys.map((k) => q(k)).join(', ')} FROM (${matchedKeys(staging, live, keys)})))`,
    // Live rows with no staged key (a NULL live key never matches, as with NOT EXISTS).
    removed: `SELECT COUNT(*) FROM ${q(live)} AS l LEFT JOIN ${q(staging)} AS s ON ${keyJoin('s', 'l', keys)} WHERE s.${q(keys[0] as string)} IS NULL`,
    matched: `SELECT COUNT(*) FROM ${q(live)} AS l CROSS JOIN ${q(staging)} AS s WHERE ${keyJoin('l', 's', keys)}`,
    changed: `SELECT COUNT(*) FROM ${q(live)} AS l CROSS JOIN ${q(staging)} AS s WHERE ${keyJoin('l', 's', keys)} AND (${differs})`,
  };
}

/** Appends the staged rows to the live table, in line order. */
export function appendSql(staging: string, live: string, columns: readonly string[], rowidAlias: string): string {
  const list = columns.map(q).join(', ');
  return `INSERT INTO ${q(live)} (${list}) SELECT ${list} FROM ${q(staging)} ORDER BY ${rowidAlias}`;
}

/**
 * Upsert step 1: UPDATE the live rows whose key is staged (undefined when every column is a key).
 * Upsert is UPDATE then INSERT … WHERE NOT EXISTS, never MERGE/ON CONFLICT, so both dialects share
 * one plan and the live table needs no unique index.
 */
export function upsertUpdateSql(
  staging: string,
  live: string,
  keys: readonly string[],
  values: readonly string[],
): string | undefined {
  if (values.length === 0) return undefined;
  const set = values.map((v) => `${q(v)} = s.${q(v)}`).join(', ');
  return `UPDATE ${q(live)} AS l SET ${set} FROM ${q(staging)} AS s WHERE ${keyJoin('l', 's', keys)}`;
}

/** Upsert step 2: INSERT the staged rows whose key is not live. */
export function upsertInsertSql(
  staging: string,
  live: string,
  keys: readonly string[],
  columns: readonly string[],
  rowidAlias: string,
): string {
  const list = columns.map(q).join(', ');
  const sel = columns.map((c) => `s.${q(c)}`).join(', ');
  const staged = `(${keys.map((k) => `s.${q(k)}`).join(', ')})`;
  return `INSERT INTO ${q(live)} (${list}) SELECT ${sel} FROM ${q(staging)} AS s WHERE ${staged} NOT IN (${matchedKeys(staging, live, keys)}) ORDER BY s.${rowidAlias}`;
}

/** `ALTER TABLE "live" ADD COLUMN …` (always nullable: existing rows get NULL). */
export function addColumnSql(physical: string, column: ColumnDef): string {
  return `ALTER TABLE ${q(physical)} ADD COLUMN ${q(column.name)} ${sqliteDeclaredType(column.type)}`;
}

/** SELECT every column of a table in rowid order. */
export function selectAllSql(physical: string, columns: readonly string[], rowidAlias: string): string {
  return `SELECT ${columns.map(q).join(', ')} FROM ${q(physical)} ORDER BY ${rowidAlias}`;
}

// ---- catalog of the database file --------------------------------------------------------------

/** Whether a table exists (parameter: its physical name, compared ignoring case). */
export const TABLE_EXISTS_SQL: string = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE";
/** A table's name as stored (parameter: its physical name, compared ignoring case). */
export const STORED_NAME_SQL: string =
  "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE";
/** A table's columns in order (parameter: its physical name). */
export const TABLE_INFO_SQL: string = 'SELECT name, type, "notnull" AS nn FROM pragma_table_info(?) ORDER BY cid';
/** Physical names of the live tables. */
export const LIVE_TABLES_SQL: string =
  "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) = 'ref.' ORDER BY name";
/** Physical names of the staging tables (of every process). */
export const STAGING_TABLES_SQL: string =
  "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 4) = 'stg.'";

// ---- metadata schema version -------------------------------------------------------------------

/** Creates the version table when missing. */
export const CREATE_VERSION_TABLE_SQL: string = `CREATE TABLE IF NOT EXISTS ${q(META.version)} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`;
/** The metadata schema version (0 when none was applied). */
export const SCHEMA_VERSION_SQL: string = `SELECT COALESCE(MAX(version), 0) FROM ${q(META.version)}`;
/** Records an applied migration (parameters: version, time in ms). */
export const INSERT_VERSION_SQL: string = `INSERT INTO ${q(META.version)} (version, applied_at) VALUES (?, ?)`;

// ---- backup catalogue --------------------------------------------------------------------------

/** Every catalogued snapshot, newest first per table. */
export const LIST_BACKUPS_SQL: string = `SELECT * FROM ${q(META.catalogue)} ORDER BY table_name, taken_at DESC, snapshot DESC`;
/** The snapshots of one table, newest first (parameter: table). */
export const LIST_TABLE_BACKUPS_SQL: string = `SELECT * FROM ${q(META.catalogue)} WHERE table_name = ? ORDER BY taken_at DESC, snapshot DESC`;
/** One catalogued snapshot (parameters: table, snapshot). */
export const GET_BACKUP_SQL: string = `SELECT * FROM ${q(META.catalogue)} WHERE table_name = ? AND snapshot = ?`;
/** The time of a table's newest snapshot (parameter: table). */
export const LAST_BACKUP_TIME_SQL: string = `SELECT MAX(taken_at) FROM ${q(META.catalogue)} WHERE table_name = ?`;
/** Catalogues a snapshot. */
export const INSERT_BACKUP_SQL: string = `INSERT INTO ${q(META.catalogue)} (snapshot, table_name, taken_at, rows, source_file, file_id, reason, kind, key_columns, columns_before, rows_after, watermark) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/** A table's snapshots beyond the newest `keep` (parameters: table, keep). */
export const BACKUPS_BEYOND_SQL: string = `SELECT * FROM ${q(META.catalogue)} WHERE table_name = ? ORDER BY taken_at DESC, snapshot DESC LIMIT -1 OFFSET ?`;
/** Removes a snapshot from the catalogue (parameter: snapshot). */
export const DELETE_BACKUP_SQL: string = `DELETE FROM ${q(META.catalogue)} WHERE snapshot = ?`;

// ---- audit, rejects, datasets ------------------------------------------------------------------

/** Records an audit event. */
export const INSERT_AUDIT_SQL: string = `INSERT INTO ${q(META.audit)} (file_id, step, outcome, duration_ms, details, at) VALUES (?, ?, ?, ?, ?, ?)`;
/** A file's audit events in order (parameter: file id). */
export const LIST_AUDIT_SQL: string = `SELECT * FROM ${q(META.audit)} WHERE file_id = ? ORDER BY id`;
/** Records a rejected row. */
export const INSERT_REJECT_SQL: string = `INSERT INTO ${q(META.rejects)} (file_id, line, raw, column_name, value, reason) VALUES (?, ?, ?, ?, ?, ?)`;
/** A file's rejected rows by line (parameters: file id, limit or -1). */
export const LIST_REJECTS_SQL: string = `SELECT line, raw, column_name, value, reason FROM ${q(META.rejects)} WHERE file_id = ? ORDER BY line, id LIMIT ?`;
/** One dataset's settings (parameter: table). */
export const GET_DATASET_SQL: string = `SELECT * FROM ${q(META.datasets)} WHERE table_name = ?`;
/** Inserts or replaces a dataset's settings. */
export const UPSERT_DATASET_SQL: string = `INSERT INTO ${q(META.datasets)} (table_name, mode, key_columns, type_overrides, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (table_name) DO UPDATE SET table_name = excluded.table_name, mode = excluded.mode, key_columns = excluded.key_columns, type_overrides = excluded.type_overrides, updated_at = excluded.updated_at`;
/** Every dataset's settings. */
export const LIST_DATASETS_SQL: string = `SELECT * FROM ${q(META.datasets)} ORDER BY table_name`;

// ---- file tracking -----------------------------------------------------------------------------

/** The newest live (non-terminal) row of a path: id and lease (parameter: path). */
export const LIVE_FILE_BY_PATH_SQL: string = `SELECT id, lease_until FROM ${q(META.files)} WHERE path = ? AND status NOT IN ${TERMINAL_SQL} ORDER BY id DESC LIMIT 1`;
/** Takes over a row whose lease expired (parameters: name, size, mtime, now, instance, lease until, token, id). */
export const TAKE_OVER_FILE_SQL: string = `UPDATE ${q(META.files)} SET name = ?, size = ?, mtime_ms = ?, status = 'claimed', claimed_at = ?, instance_id = ?, lease_until = ?, token = ? WHERE id = ?`;
/** Inserts a claimed row and returns its id. */
export const INSERT_CLAIMED_FILE_SQL: string = `INSERT INTO ${q(META.files)} (path, name, size, mtime_ms, status, detected_at, claimed_at, instance_id, lease_until, token)
VALUES (?, ?, ?, ?, 'claimed', ?, ?, ?, ?, ?) RETURNING id`;
/** Re-claims a non-terminal row whose lease expired (parameters: now, instance, lease until, token, id, now). */
export const RECLAIM_FILE_SQL: string = `UPDATE ${q(META.files)} SET status = 'claimed', claimed_at = ?, instance_id = ?, lease_until = ?, token = ?
WHERE id = ? AND status NOT IN ${TERMINAL_SQL} AND (lease_until IS NULL OR lease_until <= ?) RETURNING lease_until`;
/** Extends a lease held by the token (parameters: lease until, id, token). */
export const HEARTBEAT_SQL: string = `UPDATE ${q(META.files)} SET lease_until = ? WHERE id = ? AND token = ? AND status NOT IN ${TERMINAL_SQL}`;

/**
 * Updates columns of a file's row while the token holds it (parameters: the `sets` values, id,
 * token). `sets` are `column = ?` from a fixed whitelist; a terminal row is touched only by finish.
 */
export function updateFileSql(sets: readonly string[], terminalAllowed: boolean): string {
  const set = sets.length === 0 ? 'id = id' : sets.join(', ');
  return `UPDATE ${q(META.files)} SET ${set} WHERE id = ? AND token = ?${terminalAllowed ? '' : ` AND status NOT IN ${TERMINAL_SQL}`}`;
}

/** One file (parameter: id). */
export const GET_FILE_SQL: string = `SELECT * FROM ${q(META.files)} WHERE id = ?`;
/** Files, newest first (parameter: limit or -1). */
export const LIST_FILES_SQL: string = `SELECT * FROM ${q(META.files)} ORDER BY id DESC LIMIT ?`;
/** Files in one status, newest first (parameters: status, limit or -1). */
export const LIST_FILES_BY_STATUS_SQL: string = `SELECT * FROM ${q(META.files)} WHERE status = ? ORDER BY id DESC LIMIT ?`;
/** Non-terminal rows whose lease expired (parameter: now). */
export const LIST_EXPIRED_SQL: string = `SELECT * FROM ${q(META.files)} WHERE status NOT IN ${TERMINAL_SQL} AND (lease_until IS NULL OR lease_until <= ?) ORDER BY id`;
/** `held` → `released` with the file's new path (parameters: path, id). */
export const MARK_RELEASED_SQL: string = `UPDATE ${q(META.files)} SET status = 'released', path = ? WHERE id = ? AND status = 'held'`;
/** Files with a content hash (parameter: sha256). */
export const FILES_BY_SHA256_SQL: string = `SELECT * FROM ${q(META.files)} WHERE sha256 = ? ORDER BY id`;
/**
 * The oldest file whose content (sha256) was loaded (archived) into a table, other than one file
 * (parameters: sha256, table, file id to skip or null, the same again).
 */
export const FIND_LOADED_SQL: string = `SELECT * FROM ${q(META.files)} WHERE sha256 = ? AND status = 'archived' AND target_table = ? COLLATE NOCASE AND (? IS NULL OR id <> ?) ORDER BY id LIMIT 1`;
