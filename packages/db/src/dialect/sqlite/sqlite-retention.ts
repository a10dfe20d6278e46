/**
 * SQLite retention ({@link Database.pruneHistory}): tracking rows of files that finished before the
 * cutoff (never held or in flight), their audit events and rejected rows, and audit events of no
 * tracked file, deleted in one write transaction.
 */
import { quoteSqliteIdentifier as q } from '../../identifiers.js';
import type { HistoryPruneResult } from '../../types.js';
import { PRUNABLE_FILE_STATUSES } from '../shared.js';
import type { SqliteClient } from './sqlite-client.js';
import { META } from './sqlite-sql.js';

/** The ids of files whose history may go (parameter `@cutoff`, epoch ms). */
const PRUNABLE_FILES = `SELECT id FROM ${q(META.files)} WHERE status IN (${PRUNABLE_FILE_STATUSES.map((s) => `'${s}'`).join(', ')}) AND finished_at IS NOT NULL AND finished_at < @cutoff`;

/** Rejected rows of prunable files. */
export const PRUNE_REJECTS_SQL: string = `DELETE FROM ${q(META.rejects)} WHERE file_id IN (${PRUNABLE_FILES})`;
/** Audit events of prunable files, and older events of no tracked file. */
export const PRUNE_AUDIT_SQL: string = `DELETE FROM ${q(META.audit)} WHERE file_id IN (${PRUNABLE_FILES}) OR (at < @cutoff AND (file_id IS NULL OR file_id NOT IN (SELECT id FROM ${q(META.files)})))`;
/** The prunable tracking rows themselves (last: the statements above select through them). */
export const PRUNE_FILES_SQL: string = `DELETE FROM ${q(META.files)} WHERE id IN (${PRUNABLE_FILES})`;

/** {@link Database.pruneHistory}. */
export function pruneHistory(client: SqliteClient, cutoff: Date): Promise<HistoryPruneResult> {
  return client.run(
    'pruneHistory',
    (conn) => {
      const at = { cutoff: cutoff.getTime() };
      const rejects = conn.prepare(PRUNE_REJECTS_SQL).run(at).changes;
      const auditEvents = conn.prepare(PRUNE_AUDIT_SQL).run(at).changes;
      const files = conn.prepare(PRUNE_FILES_SQL).run(at).changes;
      return { files, auditEvents, rejects };
    },
    { write: true },
  );
}
