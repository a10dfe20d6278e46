/**
 * SQL Server retention ({@link Database.pruneHistory}): tracking rows of files that finished before
 * the cutoff (never held or in flight), their audit events and rejected rows, and audit events of
 * no tracked file, deleted in one transaction. The statements live here, beside their one user.
 */
import type { HistoryPruneResult } from '../../types.js';
import { PRUNABLE_FILE_STATUSES } from '../shared.js';
import type { MssqlClient } from './mssql-client.js';
import { dt } from './mssql-params.js';

/** The ids of files whose history may go (parameter `@cutoff`, UTC). */
const PRUNABLE_FILES = `SELECT id FROM [refdata].[files] WHERE status IN (${PRUNABLE_FILE_STATUSES.map((s) => `N'${s}'`).join(', ')}) AND finished_at IS NOT NULL AND finished_at < @cutoff`;

/** Rejected rows of prunable files. */
export const PRUNE_REJECTS_SQL: string = `DELETE FROM [refdata].[rejects] WHERE file_id IN (${PRUNABLE_FILES});`;
/** Audit events of prunable files, and older events of no tracked file. */
export const PRUNE_AUDIT_SQL: string = `DELETE FROM [refdata].[audit] WHERE file_id IN (${PRUNABLE_FILES}) OR (at_utc < @cutoff AND (file_id IS NULL OR NOT EXISTS (SELECT 1 FROM [refdata].[files] AS f WHERE f.id = [refdata].[audit].file_id)));`;
/** The prunable tracking rows themselves (last: the statements above select through them). */
export const PRUNE_FILES_SQL: string = `DELETE FROM [refdata].[files] WHERE id IN (${PRUNABLE_FILES});`;

/** {@link Database.pruneHistory}. */
export async function pruneHistory(client: MssqlClient, cutoff: Date): Promise<HistoryPruneResult> {
  return client.unit(
    'pruneHistory',
    async (s) => {
      const rejects = await s.execute(PRUNE_REJECTS_SQL, [dt('cutoff', cutoff)]);
      const auditEvents = await s.execute(PRUNE_AUDIT_SQL, [dt('cutoff', cutoff)]);
      const files = await s.execute(PRUNE_FILES_SQL, [dt('cutoff', cutoff)]);
      return { files, auditEvents, rejects };
    },
    { transaction: true },
  );
}
