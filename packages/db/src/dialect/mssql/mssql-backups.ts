/**
 * SQL Server snapshots (schema `bkp`) and their catalogue (`[bkp].[catalogue]`): naming,
 * cataloguing and pruning inside a unit of work, and `listBackups`, `restoreBackup`,
 * `pruneBackups` (serialised per table with an application lock).
 *
 * A `full` snapshot is a copy of the whole table (`SELECT * INTO`: a replace, a restore, and an
 * append without keys — a heap has no row identity to undo it by). A `delta` snapshot (a keyed
 * append or upsert) holds the pre-images of the live rows whose keys the file holds and those
 * keys (see {@link createDeltaSql}); undoing it drops the columns the load added, deletes the live
 * rows with those keys and inserts the pre-images back, in place (GRANTs, keys, indexes stay).
 */
import { DbError, DbErrorCode } from '../../errors.js';
import { foldIdentifier } from '../../identifiers.js';
import type { BackupInfo, ColumnDef } from '../../types.js';
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
import { auditIn } from './mssql-audit.js';
import type { MssqlClient, MssqlSession } from './mssql-client.js';
import { big, dt, int, nv, nvMax } from './mssql-params.js';
import {
  BACKUPS_BEYOND_SQL,
  copyTableSql,
  DELETE_BACKUP_SQL,
  deleteAllSql,
  dropColumnSql,
  dropTableIfExistsSql,
  INSERT_BACKUP_SQL,
  LAST_BACKUP_TIME_SQL,
  LIST_BACKUPS_SQL,
  LIST_TABLE_BACKUPS_SQL,
  refillFromSnapshotSql,
  SCHEMAS,
  TABLE_LOCK_SQL,
  undoDeltaDeleteSql,
  undoDeltaInsertSql,
} from './mssql-sql.js';
import { countIn, describeIn, existsIn, sameColumns } from './mssql-tables.js';

/** A catalogue row as SQL Server stores it (`row_count`: `rows` is a reserved word). */
type CatalogueRow = Omit<CatalogueRowLike, 'rows'> & { readonly row_count: unknown };

const toBackupInfo = (r: CatalogueRow): BackupInfo => backupInfoFrom({ ...r, rows: r.row_count });
const toEntry = (r: CatalogueRow): SnapshotEntry => snapshotEntryFrom({ ...r, rows: r.row_count });

/** Serialises commits, restores and prunes of `table` until the transaction ends. */
export async function lockTable(s: MssqlSession, table: string): Promise<void> {
  await s.execute(TABLE_LOCK_SQL, [nv('resource', `refdata.table.${table.toLowerCase()}`, 255)]);
}

/** The name and time of a new snapshot of `table`: unique even for two loads in one millisecond. */
export async function takeSnapshotName(
  s: MssqlSession,
  table: string,
  at: Date,
): Promise<{ name: string; takenAt: Date }> {
  const [last] = await s.query<{ t: Date | null }>(LAST_BACKUP_TIME_SQL, [nv('table', table, 128)]);
  const lastMs = last?.t instanceof Date ? last.t.getTime() : null;
  for (const candidate of snapshotCandidates(table, at, lastMs)) {
    if (!(await existsIn(s, SCHEMAS.backup, candidate.name))) return candidate;
  }
  throw new Error('unreachable: snapshot candidates never end');
}

/** Adds a snapshot to the catalogue. */
export async function catalogueIn(s: MssqlSession, entry: SnapshotEntry): Promise<void> {
  const { info } = entry;
  const json = (v: readonly string[] | null): string | null => (v === null ? null : JSON.stringify(v));
  await s.execute(INSERT_BACKUP_SQL, [
    nv('snapshot', info.snapshot, 128),
    nv('table', info.table, 128),
    dt('taken_at', info.takenAt),
    big('rows', info.rows),
    nv('source_file', info.sourceFile, 1024),
    big('file_id', info.fileId),
    nv('reason', info.reason, 10),
    nv('kind', info.kind, 5),
    nvMax('key_columns', json(entry.keyColumns)),
    nvMax('columns_before', json(entry.columnsBefore)),
    big('rows_after', entry.rowsAfter),
  ]);
}

/** Drops the snapshots of `table` beyond the newest `keep` and returns them. */
export async function pruneIn(s: MssqlSession, table: string, keep: number): Promise<BackupInfo[]> {
  const rows = await s.query<CatalogueRow>(BACKUPS_BEYOND_SQL, [nv('table', table, 128), int('keep', keep)]);
  for (const r of rows) {
    await s.execute(dropTableIfExistsSql(SCHEMAS.backup, r.snapshot));
    await s.execute(DELETE_BACKUP_SQL, [nv('snapshot', r.snapshot, 128)]);
  }
  return rows.map(toBackupInfo);
}

/** {@link Database.listBackups}. */
export async function listBackups(client: MssqlClient, table: string | undefined): Promise<BackupInfo[]> {
  const rows = await client.unit(
    'listBackups',
    (s) =>
      table === undefined
        ? s.query<CatalogueRow>(LIST_BACKUPS_SQL)
        : s.query<CatalogueRow>(LIST_TABLE_BACKUPS_SQL, [nv('table', table, 128)]),
    { transaction: false },
  );
  return rows.map(toBackupInfo);
}

/**
 * {@link Database.restoreBackup}: in one transaction, the live rows are copied to `bkp` as a
 * `full` `restore` snapshot; the live table is reset in place to the oldest full snapshot at or
 * after the chosen one (when there is one), then every delta snapshot from there back to the
 * chosen one is undone, newest first. The live table keeps its GRANTs, keys and indexes and a
 * reader sees old or restored rows. When a full snapshot's columns differ from the live table's,
 * the table is re-created from it instead. `DB_SNAPSHOT_CHAIN_BROKEN` (nothing changed) when a
 * delta's table is gone or the live table does not hold the rows its load left.
 */
export function restoreBackup(client: MssqlClient, table: string, snapshot: string): Promise<BackupInfo> {
  return client.unit(
    'restoreBackup',
    async (s) => {
      const started = performance.now();
      await lockTable(s, table);
      const entries = (await s.query<CatalogueRow>(LIST_TABLE_BACKUPS_SQL, [nv('table', table, 128)])).map(toEntry);
      const plan = restorePlan(entries, snapshot);
      const target = entries.find((e) => e.info.snapshot === snapshot);
      if (plan === undefined || target === undefined || !(await existsIn(s, SCHEMAS.backup, target.info.snapshot))) {
        throw new DbError(
          DbErrorCode.SNAPSHOT_NOT_FOUND,
          `No snapshot ${JSON.stringify(snapshot)} of ${JSON.stringify(table)} is catalogued; list them with listBackups(${JSON.stringify(table)}).`,
        );
      }
      for (const e of [...(plan.base === undefined ? [] : [plan.base]), ...plan.deltas]) {
        if (!(await existsIn(s, SCHEMAS.backup, e.info.snapshot)))
          throw chainBroken(
            table,
            snapshot,
            `snapshot ${JSON.stringify(e.info.snapshot)} is catalogued but its table is gone`,
          );
      }
      const from = target.info;
      let taken: BackupInfo | null = null;
      const liveColumns = await describeIn(s, SCHEMAS.live, table);
      if (liveColumns !== undefined) {
        const { name, takenAt } = await takeSnapshotName(s, table, new Date());
        const rows = await countIn(s, SCHEMAS.live, table);
        await s.execute(copyTableSql(SCHEMAS.live, table, SCHEMAS.backup, name));
        taken = restoreSnapshot(table, name, takenAt, rows);
        await catalogueIn(s, fullEntry(taken));
      }
      if (plan.base !== undefined) {
        await resetTo(s, table, plan.base.info.snapshot, liveColumns);
      } else if (liveColumns === undefined) {
        throw chainBroken(table, snapshot, 'the live table is gone and no full snapshot rebuilds it');
      }
      for (const delta of plan.deltas) await undoDelta(s, table, snapshot, delta);
      await auditIn(s, restoreAudit(table, from, taken, started));
      return taken ?? from;
    },
    { transaction: true },
  );
}

/** Makes the live table hold a full snapshot's rows: in place when the columns match, else re-created. */
async function resetTo(
  s: MssqlSession,
  table: string,
  snapshot: string,
  liveColumns: readonly ColumnDef[] | undefined,
): Promise<void> {
  const snapshotColumns = (await describeIn(s, SCHEMAS.backup, snapshot)) ?? [];
  if (liveColumns !== undefined && sameColumns(liveColumns, snapshotColumns, { nullability: false })) {
    await s.execute(deleteAllSql(SCHEMAS.live, table));
    await s.execute(
      refillFromSnapshotSql(
        snapshot,
        table,
        liveColumns.map((c) => c.name),
      ),
    );
  } else {
    if (liveColumns !== undefined) await s.execute(dropTableIfExistsSql(SCHEMAS.live, table));
    await s.execute(copyTableSql(SCHEMAS.backup, snapshot, SCHEMAS.live, table));
  }
}

/** Undoes one delta snapshot of the live table (which must hold the rows its load left). */
async function undoDelta(s: MssqlSession, table: string, target: string, delta: SnapshotEntry): Promise<void> {
  assertUndoable(table, target, delta, await countIn(s, SCHEMAS.live, table));
  const keys = delta.keyColumns ?? [];
  const before = delta.columnsBefore ?? [];
  if (keys.length === 0)
    throw chainBroken(table, target, `snapshot ${JSON.stringify(delta.info.snapshot)} lacks its key columns`);
  const kept = new Set(before.map(foldIdentifier));
  for (const c of (await describeIn(s, SCHEMAS.live, table)) ?? []) {
    if (!kept.has(foldIdentifier(c.name))) await s.execute(dropColumnSql(table, c.name));
  }
  await s.execute(undoDeltaDeleteSql(delta.info.snapshot, table, keys));
  await s.execute(undoDeltaInsertSql(delta.info.snapshot, table, before));
}

/** {@link Database.pruneBackups}. */
export function pruneBackups(client: MssqlClient, table: string, k: number): Promise<BackupInfo[]> {
  return client.unit(
    'pruneBackups',
    async (s) => {
      await lockTable(s, table);
      const dropped = await pruneIn(s, table, k);
      if (dropped.length > 0) await auditIn(s, pruneAudit(table, k, dropped));
      return dropped;
    },
    { transaction: true },
  );
}
