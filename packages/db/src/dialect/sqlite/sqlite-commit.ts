/**
 * How an SQLite load commits, inside one durable `BEGIN IMMEDIATE` transaction: a new table is
 * the renamed staging table; a replace renames live → snapshot and staging → live (metadata
 * only, a `full` snapshot); an append or upsert takes a `delta` snapshot — the largest rowid
 * before it and the pre-images of the rows an upsert updates, so its cost follows the file, not
 * the live table (see sqlite-backups.ts) — then writes into live. Or it is held.
 */
import { destructiveReplaceReason, type NormalizedLoadSpec } from '../../load-spec.js';
import type { LoadOutcome } from '../../types.js';
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
import { auditIn } from './sqlite-audit.js';
import { catalogueIn, pruneIn, takeSnapshotName } from './sqlite-backups.js';
import type { SqliteClient } from './sqlite-client.js';
import type { SqliteConnection } from './sqlite-driver.js';
import {
  addColumnSql,
  appendSql,
  changeSummarySql,
  createTableSql,
  dropTableSql,
  liveTableName,
  maxRowidSql,
  preImagesSql,
  renameTableSql,
  snapshotTableName,
  upsertInsertSql,
  upsertUpdateSql,
} from './sqlite-sql.js';
import { countIn, describeIn, pickRowidAlias } from './sqlite-tables.js';

/** A load ready to commit: its spec, its staging table (rows in line order) and how many rows it holds. */
export interface StagedLoad {
  readonly spec: NormalizedLoadSpec;
  readonly staging: string;
  /** The rowid alias that carries each staged row's line. */
  readonly rowid: string;
  readonly incoming: number;
}

/** Applies (or holds) a staged load in the caller's transaction; records the `commit` audit step. */
export function applyLoad(conn: SqliteConnection, client: SqliteClient, load: StagedLoad): LoadOutcome {
  const started = performance.now();
  const { spec, staging, incoming } = load;
  const live = liveTableName(spec.table);
  const liveColumns = describeIn(conn, live);
  const now = new Date();

  if (liveColumns === undefined) {
    conn.exec(renameTableSql(staging, live));
    const outcome = appliedOutcome(spec, incoming, null, newTableChanges(spec, incoming), started);
    auditIn(conn, commitAudit(spec, outcome, started));
    return outcome;
  }

  const liveRows = countIn(conn, live);
  const reason = destructiveReplaceReason(spec, liveRows, incoming);
  if (reason !== null) {
    conn.exec(dropTableSql(staging));
    const held = heldOutcome(spec, reason, liveRows, incoming);
    auditIn(conn, commitAudit(spec, held, started));
    return held;
  }

  const compared = changeSummaryColumns(spec, liveColumns);
  const changes = changeSummary(
    spec,
    incoming,
    liveRows,
    compared === undefined ? undefined : compareByKey(conn, load, live, compared),
  );
  const name = takeSnapshotName(conn, spec.table, now);
  const snapshotPhysical = snapshotTableName(name);
  let entry: SnapshotEntry;

  if (spec.mode === 'replace') {
    // Metadata-only swap: the old table becomes the snapshot, staging becomes live.
    conn.exec(renameTableSql(live, snapshotPhysical));
    conn.exec(renameTableSql(staging, live));
    entry = fullEntry(loadSnapshot(spec, name, now, liveRows));
  } else {
    // A delta: the watermark, and the pre-images of the rows an upsert's UPDATE changes (found
    // by keys the live table has; a key column the load adds is NULL in every live row, so then
    // nothing is updated). Every row the load inserts gets a rowid above the watermark.
    const plan = mergePlan(spec, liveColumns);
    const liveNames = liveColumns.map((c) => c.name);
    const rowid = pickRowidAlias([...liveNames, ...plan.added.map((c) => c.name)]);
    const watermark = Number(conn.prepare(maxRowidSql(live, rowid)).pluck().get());
    conn.exec(createTableSql(snapshotPhysical, liveColumns));
    const keysLive = plan.keys.length > 0 && plan.keys.every((k) => liveNames.includes(k));
    if (spec.mode === 'upsert' && keysLive && plan.values.length > 0)
      conn.exec(preImagesSql(staging, live, snapshotPhysical, plan.keys, liveNames, rowid));
    for (const c of plan.added) conn.exec(addColumnSql(live, c));
    // Staging and live share names modulo case; SQLite resolves quoted names case-insensitively.
    let inserted: number;
    if (spec.mode === 'append') {
      inserted = conn.prepare(appendSql(staging, live, plan.columns, load.rowid)).run().changes;
    } else {
      const update = upsertUpdateSql(staging, live, plan.keys, plan.values);
      if (update !== undefined) conn.exec(update);
      inserted = conn.prepare(upsertInsertSql(staging, live, plan.keys, plan.columns, load.rowid)).run().changes;
    }
    conn.exec(dropTableSql(staging));
    entry = {
      info: loadSnapshot(spec, name, now, liveRows, 'delta'),
      keyColumns: plan.keys,
      columnsBefore: liveNames,
      rowsAfter: liveRows + inserted,
      watermark,
    };
  }
  catalogueIn(conn, entry);
  const pruned = pruneIn(conn, spec.table, client.keepBackups, client.logger);
  const outcome = appliedOutcome(spec, incoming, entry.info, changes, started);
  auditIn(conn, commitAudit(spec, outcome, started, pruned));
  return outcome;
}

/** Counts staged rows added, matched and changed against live by key (and live rows removed, for a replace). */
function compareByKey(
  conn: SqliteConnection,
  load: StagedLoad,
  live: string,
  values: readonly string[],
): KeyComparison {
  const sql = changeSummarySql(load.staging, live, load.spec.keyColumns, values);
  const get = (s: string): number => Number(conn.prepare(s).pluck().get());
  return {
    added: get(sql.added),
    matched: get(sql.matched),
    changed: get(sql.changed),
    removed: load.spec.mode === 'replace' ? get(sql.removed) : 0,
  };
}
