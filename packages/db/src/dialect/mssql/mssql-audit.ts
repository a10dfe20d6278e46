/**
 * The SQL Server audit trail and rejected rows of each file (`[refdata].[audit]`,
 * `[refdata].[rejects]`): writers used inside a unit of work, and `recordAudit`, `listAudit`,
 * `recordRejects`, `listRejects`.
 */
import type { AuditEvent, AuditRecord, RejectedRow } from '../../types.js';
import { toJson } from '../../values.js';
import { type AuditRowLike, auditRecordFrom, type RejectRowLike, rejectFrom } from '../shared.js';
import type { MssqlClient, MssqlSession, SqlParam } from './mssql-client.js';
import { big, float, int, nv, nvMax } from './mssql-params.js';
import {
  fallbackRowsPerStatement,
  INSERT_AUDIT_SQL,
  insertRejectsSql,
  LIST_AUDIT_SQL,
  LIST_REJECTS_SQL,
} from './mssql-sql.js';

/** Records an audit event in the current unit of work. */
export async function auditIn(s: MssqlSession, event: AuditEvent): Promise<void> {
  await s.execute(INSERT_AUDIT_SQL, [
    big('file_id', event.fileId ?? null),
    nv('step', event.step, 100),
    nv('outcome', event.outcome, 20),
    float('duration_ms', event.durationMs ?? null),
    nvMax('details', event.details === undefined ? null : toJson(event.details)),
  ]);
}

/**
 * The text with each NUL character (U+0000) shown as ␀ (U+2400): Babelfish, like PostgreSQL,
 * cannot store U+0000, and a rejected row is often rejected for holding one.
 */
function visibleNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\u2400') : text;
}

/** Records rejected rows of a file in the current unit of work, as many per statement as parameters allow. */
export async function rejectsIn(s: MssqlSession, fileId: number, rows: readonly RejectedRow[]): Promise<void> {
  const per = fallbackRowsPerStatement(6);
  for (let start = 0; start < rows.length; start += per) {
    const chunk = rows.slice(start, start + per);
    const params: SqlParam[] = chunk.flatMap((r, i) => [
      big(`f${i}`, fileId),
      big(`l${i}`, r.line),
      nvMax(`r${i}`, visibleNul(r.raw)),
      nv(`c${i}`, r.column ?? null),
      nvMax(`v${i}`, r.value === undefined ? null : visibleNul(r.value)),
      nv(`e${i}`, r.reason),
    ]);
    await s.execute(insertRejectsSql(chunk.length), params);
  }
}

/** {@link Database.recordAudit}. */
export async function recordAudit(client: MssqlClient, event: AuditEvent): Promise<void> {
  await client.unit('recordAudit', (s) => auditIn(s, event), { transaction: false });
}

/** {@link Database.listAudit}. */
export async function listAudit(client: MssqlClient, fileId: number): Promise<AuditRecord[]> {
  const rows = await client.unit(
    'listAudit',
    (s) => s.query<AuditRowLike & { at_utc: unknown }>(LIST_AUDIT_SQL, [big('file_id', fileId)]),
    { transaction: false },
  );
  return rows.map((r) => auditRecordFrom({ ...r, at: r.at_utc }));
}

/** {@link Database.recordRejects}. */
export async function recordRejects(client: MssqlClient, fileId: number, rows: readonly RejectedRow[]): Promise<void> {
  await client.unit('recordRejects', (s) => rejectsIn(s, fileId, rows), { transaction: true });
}

/** {@link Database.listRejects}. */
export async function listRejects(
  client: MssqlClient,
  fileId: number,
  limit: number | undefined,
): Promise<RejectedRow[]> {
  const rows = await client.unit(
    'listRejects',
    (s) => s.query<RejectRowLike>(LIST_REJECTS_SQL, [int('limit', limit ?? 2_147_483_647), big('file_id', fileId)]),
    { transaction: false },
  );
  return rows.map(rejectFrom);
}
