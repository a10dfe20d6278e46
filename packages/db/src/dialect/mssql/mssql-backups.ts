/**
 * SQL Server snapshots (schema `bkp`) and their catalogue (`[bkp].[catalogue]`): naming,
 * cataloguing and pruning inside a unit of work, and `listBackups`, `restoreBackup`,
 * `pruneBackups` (serialised per table with an application lock).
 */
import { DbError, DbErrorCode } from '../../errors.js';
import type { BackupInfo } from '../../types.js';
import {
  backupInfoFrom,
  type CatalogueRowLike,
  pruneAudit,
  restoreAudit,
  restoreSnapshot,
  snapshotCandidates,
} from '../shared.js';
import { auditIn } from './mssql-audit.js';
import type { MssqlClient, MssqlSession } from './mssql-client.js';
import { big, dt, int, nv } from './mssql-params.js';
import {
  BACKUPS_BEYOND_SQL,
  copyTableSql,
  DELETE_BACKUP_SQL,
  deleteAllSql,
  dropTableIfExistsSql,
  GET_BACKUP_SQL,
  INSERT_BACKUP_SQL,
  LAST_BACKUP_TIME_SQL,
  LIST_BACKUPS_SQL,
  LIST_TABLE_BACKUPS_SQL,
  refillFromSnapshotSql,
  SCHEMAS,
  TABLE_LOCK_SQL,
} from './mssql-sql.js';
import { countIn, describeIn, existsIn, sameColumns } from './mssql-tables.js';

/** A catalogue row as SQL Server stores it (`row_count`: `rows` is a reserved word). */
type CatalogueRow = Omit<CatalogueRowLike, 'rows'> & { readonly row_count: unknown };

const toBackupInfo = (r: CatalogueRow): BackupInfo => backupInfoFrom({ ...r, rows: r.row_count });

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
export async function catalogueIn(s: MssqlSession, info: BackupInfo): Promise<void> {
  await s.execute(INSERT_BACKUP_SQL, [
    nv('snapshot', info.snapshot, 128),
    nv('table', info.table, 128),
    dt('taken_at', info.takenAt),
    big('rows', info.rows),
    nv('source_file', info.sourceFile, 1024),
    big('file_id', info.fileId),
    nv('reason', info.reason, 10),
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
 * `restore` snapshot and replaced in place by the chosen snapshot's rows, so the live table keeps
 * its GRANTs, keys and indexes and a reader sees old or restored rows. When the snapshot's columns
 * differ from the live table's, the table is re-created from the snapshot instead.
 */
export function restoreBackup(client: MssqlClient, table: string, snapshot: string): Promise<BackupInfo> {
  return client.unit(
    'restoreBackup',
    async (s) => {
      const started = performance.now();
      await lockTable(s, table);
      const [row] = await s.query<CatalogueRow>(GET_BACKUP_SQL, [
        nv('table', table, 128),
        nv('snapshot', snapshot, 128),
      ]);
      if (row === undefined || !(await existsIn(s, SCHEMAS.backup, row.snapshot))) {
        throw new DbError(
          DbErrorCode.SNAPSHOT_NOT_FOUND,
          `No snapshot ${JSON.stringify(snapshot)} of ${JSON.stringify(table)} is catalogued; list them with listBackups(${JSON.stringify(table)}).`,
        );
      }
      const from = toBackupInfo(row);
      let taken: BackupInfo | null = null;
      const liveColumns = await describeIn(s, SCHEMAS.live, table);
      if (liveColumns !== undefined) {
        const { name, takenAt } = await takeSnapshotName(s, table, new Date());
        const rows = await countIn(s, SCHEMAS.live, table);
        await s.execute(copyTableSql(SCHEMAS.live, table, SCHEMAS.backup, name));
        taken = restoreSnapshot(table, name, takenAt, rows);
        await catalogueIn(s, taken);
      }
      const snapshotColumns = (await describeIn(s, SCHEMAS.backup, row.snapshot)) ?? [];
      if (liveColumns !== undefined && sameColumns(liveColumns, snapshotColumns, { nullability: false })) {
        await s.execute(deleteAllSql(SCHEMAS.live, table));
        await s.execute(
          refillFromSnapshotSql(
            row.snapshot,
            table,
            liveColumns.map((c) => c.name),
          ),
        );
      } else {
        if (liveColumns !== undefined) await s.execute(dropTableIfExistsSql(SCHEMAS.live, table));
        await s.execute(copyTableSql(SCHEMAS.backup, row.snapshot, SCHEMAS.live, table));
      }
      await auditIn(s, restoreAudit(table, from, taken, started));
      return taken ?? from;
    },
    { transaction: true },
  );
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
