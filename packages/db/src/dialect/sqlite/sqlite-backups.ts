/**
 * SQLite snapshots and their catalogue (`"bkp.<table>.<stamp>"`, `"bkp.catalogue"`): naming,
 * cataloguing and pruning inside a unit of work, and `listBackups`, `restoreBackup`, `pruneBackups`.
 *
 * A `full` snapshot is the whole table (a replace renames live into it; a restore renames live
 * into one first). A `delta` snapshot (an append or upsert) is a table with the live columns
 * holding only the pre-images of the rows the load updated, each under its live rowid, and the
 * catalogue keeps the largest rowid before the load (its watermark): every row the load inserted
 * is above it. Undoing a delta deletes the rows above the watermark, drops the columns the load
 * added and writes the pre-images back by rowid. Rowids are kept whenever a restore rebuilds the
 * table, so the watermarks stay true.
 */
import { DbError, DbErrorCode } from '../../errors.js';
import { foldIdentifier } from '../../identifiers.js';
import type { BackupInfo, Logger } from '../../types.js';
import {
  assertUndoable,
  backupInfoFrom,
  type CatalogueRowLike,
  chainBroken,
  fullEntry,
  pruneAudit,
  restoreAudit,
  restorePlan,
  restoreSnapshot,
  type SnapshotEntry,
  snapshotCandidates,
  snapshotEntryFrom,
} from '../shared.js';
import { auditIn } from './sqlite-audit.js';
import type { SqliteClient } from './sqlite-client.js';
import type { SqliteConnection } from './sqlite-driver.js';
import {
  BACKUPS_BEYOND_SQL,
  copyRowsKeepingRowidSql,
  countAboveSql,
  createTableSql,
  DELETE_BACKUP_SQL,
  deleteAboveSql,
  dropColumnSql,
  dropTableSql,
  INSERT_BACKUP_SQL,
  LAST_BACKUP_TIME_SQL,
  LIST_BACKUPS_SQL,
  LIST_TABLE_BACKUPS_SQL,
  liveTableName,
  renameTableSql,
  restorePreImagesSql,
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
export function catalogueIn(conn: SqliteConnection, entry: SnapshotEntry): void {
  const { info } = entry;
  const json = (v: readonly string[] | null): string | null => (v === null ? null : JSON.stringify(v));
  conn
    .prepare(INSERT_BACKUP_SQL)
    .run(
      info.snapshot,
      info.table,
      info.takenAt.getTime(),
      info.rows,
      info.sourceFile,
      info.fileId,
      info.reason,
      info.kind,
      json(entry.keyColumns),
      json(entry.columnsBefore),
      entry.rowsAfter,
      entry.watermark,
    );
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
 * {@link Database.restoreBackup}: in one durable transaction, the live table becomes a `full`
 * `restore` snapshot; the live table is rebuilt from the oldest full snapshot at or after the
 * chosen one (or from that restore snapshot), keeping rowids; then every delta snapshot from
 * there back to the chosen one is undone, newest first. `DB_SNAPSHOT_CHAIN_BROKEN` (nothing
 * changed) when a delta's table is gone or the table does not hold the rows its load left.
 */
export function restoreBackup(client: SqliteClient, table: string, snapshot: string): Promise<BackupInfo> {
  return client.run(
    'restoreBackup',
    (conn) => {
      const started = performance.now();
      const entries = (conn.prepare(LIST_TABLE_BACKUPS_SQL).all(table) as CatalogueRowLike[]).map(snapshotEntryFrom);
      const plan = restorePlan(entries, snapshot);
      const target = entries.find((e) => e.info.snapshot === snapshot);
      if (plan === undefined || target === undefined || !existsIn(conn, snapshotTableName(target.info.snapshot))) {
        throw new DbError(
          DbErrorCode.SNAPSHOT_NOT_FOUND,
          `No snapshot ${JSON.stringify(snapshot)} of ${JSON.stringify(table)} is catalogued; list them with listBackups(${JSON.stringify(table)}).`,
        );
      }
      for (const e of [...(plan.base === undefined ? [] : [plan.base]), ...plan.deltas]) {
        if (!existsIn(conn, snapshotTableName(e.info.snapshot)))
          throw chainBroken(
            table,
            snapshot,
            `snapshot ${JSON.stringify(e.info.snapshot)} is catalogued but its table is gone`,
          );
      }
      const from = target.info;
      const live = liveTableName(table);
      const now = new Date();
      let taken: BackupInfo | null = null;
      if (existsIn(conn, live)) {
        const name = takeSnapshotName(conn, table, now);
        const rows = countIn(conn, live);
        conn.exec(renameTableSql(live, snapshotTableName(name)));
        taken = restoreSnapshot(table, name, now, rows);
        catalogueIn(conn, fullEntry(taken));
      }
      const base = plan.base?.info ?? taken;
      if (base === null) throw chainBroken(table, snapshot, 'the live table is gone and no full snapshot rebuilds it');
      const source = snapshotTableName(base.snapshot);
      const columns = describeIn(conn, source) ?? [];
      const names = columns.map((c) => c.name);
      conn.exec(createTableSql(live, columns));
      conn.exec(copyRowsKeepingRowidSql(source, live, names, pickRowidAlias(names)));
      for (const delta of plan.deltas) undoDelta(conn, table, snapshot, delta);
      auditIn(conn, restoreAudit(table, from, taken, started));
      return taken ?? from;
    },
    { write: true, durable: true },
  );
}

/** Undoes one delta snapshot of the live table (which must hold the rows its load left). */
function undoDelta(conn: SqliteConnection, table: string, target: string, delta: SnapshotEntry): void {
  const live = liveTableName(table);
  const snapshot = snapshotTableName(delta.info.snapshot);
  assertUndoable(table, target, delta, countIn(conn, live));
  const liveNames = (describeIn(conn, live) ?? []).map((c) => c.name);
  const before = delta.columnsBefore ?? [];
  const rowid = pickRowidAlias([...liveNames, ...before]);
  const watermark = delta.watermark ?? 0;
  const inserted = Number(conn.prepare(countAboveSql(live, rowid)).pluck().get(watermark));
  if (inserted !== (delta.rowsAfter ?? 0) - delta.info.rows) {
    throw chainBroken(
      table,
      target,
      `undoing the ${delta.info.reason} of snapshot ${JSON.stringify(delta.info.snapshot)} expects the ${(delta.rowsAfter ?? 0) - delta.info.rows} rows it inserted after rowid ${watermark}, but finds ${inserted} (the table was changed outside refdata)`,
    );
  }
  conn.prepare(deleteAboveSql(live, rowid)).run(watermark);
  const kept = new Set(before.map(foldIdentifier));
  for (const name of liveNames) if (!kept.has(foldIdentifier(name))) conn.exec(dropColumnSql(live, name));
  if (before.length > 0) conn.exec(restorePreImagesSql(snapshot, live, before, rowid));
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
