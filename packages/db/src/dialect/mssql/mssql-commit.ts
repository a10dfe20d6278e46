/**
 * How a SQL Server load commits, in one transaction under the table's application lock.
 *
 * - A new table: on SQL Server typed staging is moved to `ref` (ALTER SCHEMA … TRANSFER +
 *   sp_rename, metadata only); on Babelfish, which lacks TRANSFER, the table is created in `ref`
 *   and filled from typed staging.
 * - A replace keeps the live table object (so its GRANTs, primary key, indexes and triggers stay):
 *   live rows are copied into the `bkp` snapshot, deleted, and typed staging's rows inserted, all
 *   in one transaction, so a reader sees the old rows or the new ones, never an empty table. Only
 *   a replace that changes the columns drops and re-creates the table.
 * - A keyed append or upsert (its keys all live columns) takes a `delta` snapshot: the pre-images
 *   of the live rows whose keys the file holds, and those keys, so its size follows the file,
 *   not the live table; an append without keys copies live into a `full` snapshot (a heap has no
 *   row identity to undo it by). Then it writes into live.
 *
 * Or it is held. A `load_commits` record makes a retry idempotent.
 */
import { destructiveReplaceReason, type NormalizedLoadSpec } from '../../load-spec.js';
import type { BackupInfo, LoadOutcome } from '../../types.js';
import { toJson } from '../../values.js';
import { fullEntry, type SnapshotEntry } from '../shared.js';
import {
  appliedOutcome,
  changeSummary,
  changeSummaryColumns,
  commitAudit,
  heldOutcome,
  type KeyComparison,
  loadSnapshot,
  mergePlan,
  newTableChanges,
} from '../shared-load.js';
import { auditIn } from './mssql-audit.js';
import { catalogueIn, lockTable, pruneIn, takeSnapshotName } from './mssql-backups.js';
import type { MssqlSession } from './mssql-client.js';
import { guid, nv, nvMax } from './mssql-params.js';
import {
  addColumnSql,
  appendSql,
  COMMIT_RECORD_SQL,
  changeSummarySql,
  copyTableSql,
  createDeltaSql,
  createTableSql,
  deleteAllSql,
  deltaKeysSql,
  dropLineColumnSql,
  dropTableIfExistsSql,
  fillLiveSql,
  INSERT_COMMIT_RECORD_SQL,
  preImagesSql,
  SCHEMAS,
  transferSql,
  upsertInsertSql,
  upsertUpdateSql,
} from './mssql-sql.js';
import { countIn, describeIn, renameIn, sameColumns } from './mssql-tables.js';

/** A load ready to commit: its spec, its typed staging table and the id of this commit. */
export interface StagedLoad {
  readonly spec: NormalizedLoadSpec;
  /** Typed staging in schema `stg`: the real columns plus the line. */
  readonly typed: string;
  /** Identifies this commit across retries (the `load_commits` key). */
  readonly commitId: string;
  readonly keepBackups: number;
}

/**
 * Applies (or holds) a staged load in the caller's transaction and records the `commit` audit
 * step. On a retry (`attempt` > 0) it first looks for the record an earlier attempt may have
 * committed before its connection failed.
 */
export async function applyLoad(s: MssqlSession, attempt: number, load: StagedLoad): Promise<LoadOutcome> {
  const { spec, typed } = load;
  const table = spec.table;
  if (attempt > 0) {
    const [done] = await s.query<{ outcome: string }>(COMMIT_RECORD_SQL, [guid('id', load.commitId)]);
    if (done !== undefined) return reviveOutcome(done.outcome);
  }
  const started = performance.now();
  await lockTable(s, table);
  const incoming = await countIn(s, SCHEMAS.staging, typed);
  const liveColumns = await describeIn(s, SCHEMAS.live, table);
  const record = async (outcome: LoadOutcome): Promise<LoadOutcome> => {
    await s.execute(INSERT_COMMIT_RECORD_SQL, [
      guid('id', load.commitId),
      nv('table', table, 128),
      nvMax('outcome', toJson(outcome)),
    ]);
    return outcome;
  };
  const makeLive = async (): Promise<void> => {
    if (s.engine === 'sqlserver') {
      await s.execute(dropLineColumnSql(typed));
      await s.execute(transferSql(SCHEMAS.live, SCHEMAS.staging, typed));
      await renameIn(s, SCHEMAS.live, typed, table);
    } else {
      await s.execute(createTableSql(SCHEMAS.live, table, spec.columns));
      await s.execute(
        fillLiveSql(
          typed,
          table,
          spec.columns.map((c) => c.name),
        ),
      );
    }
  };

  if (liveColumns === undefined) {
    await makeLive();
    const outcome = appliedOutcome(spec, incoming, null, newTableChanges(spec, incoming), started);
    await auditIn(s, commitAudit(spec, outcome, started));
    return record(outcome);
  }

  const liveRows = await countIn(s, SCHEMAS.live, table);
  const reason = destructiveReplaceReason(spec, liveRows, incoming);
  if (reason !== null) {
    const held = heldOutcome(spec, reason, liveRows, incoming);
    await auditIn(s, commitAudit(spec, held, started));
    return record(held);
  }

  const compared = changeSummaryColumns(spec, liveColumns);
  const changes = changeSummary(
    spec,
    incoming,
    liveRows,
    compared === undefined ? undefined : await compareByKey(s, load, compared),
  );
  const { name, takenAt } = await takeSnapshotName(s, table, new Date());
  let entry: SnapshotEntry = fullEntry(loadSnapshot(spec, name, takenAt, liveRows));
  if (spec.mode === 'replace') {
    await s.execute(copyTableSql(SCHEMAS.live, table, SCHEMAS.backup, name));
    if (sameColumns(liveColumns, spec.columns)) {
      // In place: the table object (GRANTs, keys, indexes) stays; readers see old or new rows.
      await s.execute(deleteAllSql(SCHEMAS.live, table));
      await s.execute(
        fillLiveSql(
          typed,
          table,
          spec.columns.map((c) => c.name),
        ),
      );
    } else {
      await s.execute(dropTableIfExistsSql(SCHEMAS.live, table));
      await makeLive();
    }
  } else {
    const plan = mergePlan(spec, liveColumns);
    const liveNames = liveColumns.map((c) => c.name);
    const keyed = plan.keys.length > 0 && plan.keys.every((k) => liveNames.includes(k));
    if (keyed) {
      await s.execute(createDeltaSql(name, liveColumns));
      await s.execute(preImagesSql(typed, table, name, plan.keys, liveNames));
      await s.execute(deltaKeysSql(typed, name, plan.keys));
    } else {
      await s.execute(copyTableSql(SCHEMAS.live, table, SCHEMAS.backup, name));
    }
    for (const c of plan.added) await s.execute(addColumnSql(table, c));
    let inserted: number;
    if (spec.mode === 'append') {
      inserted = await s.execute(appendSql(typed, table, plan.columns));
    } else {
      const update = upsertUpdateSql(typed, table, plan.keys, plan.values);
      if (update !== undefined) await s.execute(update);
      inserted = await s.execute(upsertInsertSql(typed, table, plan.keys, plan.columns));
    }
    if (keyed) {
      entry = {
        info: loadSnapshot(spec, name, takenAt, liveRows, 'delta'),
        keyColumns: plan.keys,
        columnsBefore: liveNames,
        rowsAfter: liveRows + inserted,
        watermark: null,
      };
    }
  }
  await catalogueIn(s, entry);
  const pruned = await pruneIn(s, table, load.keepBackups);
  const outcome = appliedOutcome(spec, incoming, entry.info, changes, started);
  await auditIn(s, commitAudit(spec, outcome, started, pruned));
  return record(outcome);
}

/** Counts typed staging rows added, matched and changed against live by key, and live rows removed. */
async function compareByKey(s: MssqlSession, load: StagedLoad, values: readonly string[]): Promise<KeyComparison> {
  const [c] = await s.query<{ added: unknown; removed: unknown; matched: unknown; changed: unknown }>(
    changeSummarySql(load.typed, load.spec.table, load.spec.keyColumns, values, {
      removed: load.spec.mode === 'replace',
    }),
  );
  return {
    added: Number(c?.added ?? 0),
    removed: Number(c?.removed ?? 0),
    matched: Number(c?.matched ?? 0),
    changed: Number(c?.changed ?? 0),
  };
}

/** Parses an outcome stored in load_commits (dates come back as ISO strings). */
export function reviveOutcome(json: string): LoadOutcome {
  const parsed = JSON.parse(json) as LoadOutcome & {
    snapshot?: (Omit<BackupInfo, 'takenAt'> & { takenAt: string }) | null;
  };
  if (parsed.status === 'applied' && parsed.snapshot) {
    return { ...parsed, snapshot: { ...parsed.snapshot, takenAt: new Date(parsed.snapshot.takenAt) } };
  }
  return parsed;
}
