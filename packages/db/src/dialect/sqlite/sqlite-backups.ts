/**
 * SQLite snapshots and their catalogue (`"bkp.<table>.<stamp>"`, `"bkp.catalogue"`): naming,
 * cataloguing and pruning inside a unit of work, and `listBackups`, `restoreBackup`, `pruneBackups`.
 */
import { DbError, DbErrorCode } from '../../errors.js';
import type { BackupInfo, Logger } from '../../types.js';
import {
  backupInfoFrom,
  type CatalogueRowLike,
  pruneAudit,
  restoreAudit,
  restoreSnapshot,
  snapshotCandidates,
} from '../shared.js';
import { auditIn } from './sqlite-audit.js';
import type { SqliteClient } from './sqlite-client.js';
import type { SqliteConnection } from './sqlite-driver.js';
import {
  BACKUPS_BEYOND_SQL,
  copyRowsSql,
  createTableSql,
  DELETE_BACKUP_SQL,
  dropTableSql,
  GET_BACKUP_SQL,
  INSERT_BACKUP_SQL,
  LAST_BACKUP_TIME_SQL,
  LIST_BACKUPS_SQL,
  LIST_TABLE_BACKUPS_SQL,
  liveTableName,
  renameTableSql,
  snapshotTableName,
} from './sqlite-sql.js';
import { countIn, describeIn, existsIn, pickRowidAlias } from './sqlite-tables.js';

/** The name of a new snapshot of `table`: unique even for two loads in one millisecond. */
export function takeSnapshotName(conn: SqliteConnection, table: string, at: Date): string {
  const last = conn.prepare(LAST_BACKUP_TIME_SQL).pluck().get(table) as number | null;
  for (const candidate of snapshotCandidates(table, at, last)) {
    if (!existsIn(conn, snapshotTableName(candidate.name))) return candidate.name;
  }
  throw new Error('unreachable: snapshot candidates never end');
}

/** Adds a snapshot to the catalogue. */
export function catalogueIn(conn: SqliteConnection, info: BackupInfo): void {
  conn
    .prepare(INSERT_BACKUP_SQL)
    .run(info.snapshot, info.table, info.takenAt.getTime(), info.rows, info.sourceFile, info.fileId, info.reason);
}

/** Drops the snapshots of `table` beyond the newest `keep` and returns them. */
export function pruneIn(conn: SqliteConnection, table: string, keep: number, logger: Logger): BackupInfo[] {
  const rows = conn.prepare(BACKUPS_BEYOND_SQL).all(table, keep) as CatalogueRowLike[];
  const del = conn.prepare(DELETE_BACKUP_SQL);
  for (const row of rows) {
    conn.exec(dropTableSql(snapshotTableName(row.snapshot)));
    del.run(row.snapshot);
  }
  if (rows.length > 0) logger.info({ table, dropped: rows.length, keep }, 'old snapshots pruned');
  return rows.map(backupInfoFrom);
}

/** {@link Database.listBackups}. */
export function listBackups(client: SqliteClient, table: string | undefined): Promise<BackupInfo[]> {
  return client.run(
    'listBackups',
    (conn) => {
      const rows = (
        table === undefined ? conn.prepare(LIST_BACKUPS_SQL).all() : conn.prepare(LIST_TABLE_BACKUPS_SQL).all(table)
      ) as CatalogueRowLike[];
      return rows.map(backupInfoFrom);
    },
    { write: false },
  );
}

/**
 * {@link Database.restoreBackup}: in one durable transaction, the live table becomes a
 * `restore` snapshot and a copy of the chosen snapshot becomes live.
 */
export function restoreBackup(client: SqliteClient, table: string, snapshot: string): Promise<BackupInfo> {
  return client.run(
    'restoreBackup',
    (conn) => {
      const started = performance.now();
      const row = conn.prepare(GET_BACKUP_SQL).get(table, snapshot) as CatalogueRowLike | undefined;
      const source = row === undefined ? undefined : snapshotTableName(row.snapshot);
      const columns = source === undefined ? undefined : describeIn(conn, source);
      if (row === undefined || source === undefined || columns === undefined) {
        throw new DbError(
          DbErrorCode.SNAPSHOT_NOT_FOUND,
          `No snapshot ${JSON.stringify(snapshot)} of ${JSON.stringify(table)} is catalogued; list them with listBackups(${JSON.stringify(table)}).`,
        );
      }
      const from = backupInfoFrom(row);
      const live = liveTableName(table);
      const now = new Date();
      let taken: BackupInfo | null = null;
      if (existsIn(conn, live)) {
        const name = takeSnapshotName(conn, table, now);
        const rows = countIn(conn, live);
        conn.exec(renameTableSql(live, snapshotTableName(name)));
        taken = restoreSnapshot(table, name, now, rows);
        catalogueIn(conn, taken);
      }
      const names = columns.map((c) => c.name);
      conn.exec(createTableSql(live, columns));
      conn.exec(copyRowsSql(source, live, names, pickRowidAlias(names)));
      auditIn(conn, restoreAudit(table, from, taken, started));
      return taken ?? from;
    },
    { write: true, durable: true },
  );
}

/** {@link Database.pruneBackups}. */
export function pruneBackups(client: SqliteClient, table: string, k: number): Promise<BackupInfo[]> {
  return client.run(
    'pruneBackups',
    (conn) => {
      const dropped = pruneIn(conn, table, k, client.logger);
      if (dropped.length > 0) auditIn(conn, pruneAudit(table, k, dropped));
      return dropped;
    },
    { write: true, durable: true },
  );
}
