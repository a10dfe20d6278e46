/**
 * The SQLite audit trail and rejected rows of each file (`"refdata.audit"`, `"refdata.rejects"`):
 * writers used inside a unit of work, and `recordAudit`, `listAudit`, `recordRejects`, `listRejects`.
 */
import type { AuditEvent, AuditRecord, RejectedRow } from '../../types.js';
import { toJson } from '../../values.js';
import { type AuditRowLike, auditRecordFrom, type RejectRowLike, rejectFrom } from '../shared.js';
import type { SqliteClient } from './sqlite-client.js';
import type { SqliteConnection } from './sqlite-driver.js';
import { INSERT_AUDIT_SQL, INSERT_REJECT_SQL, LIST_AUDIT_SQL, LIST_REJECTS_SQL } from './sqlite-sql.js';

/** Records an audit event in the current unit of work. */
export function auditIn(conn: SqliteConnection, event: AuditEvent): void {
  conn
    .prepare(INSERT_AUDIT_SQL)
    .run(
      event.fileId ?? null,
      event.step,
      event.outcome,
      event.durationMs ?? null,
      event.details === undefined ? null : toJson(event.details),
      Date.now(),
    );
}

/** Records rejected rows of a file in the current unit of work. */
export function rejectsIn(conn: SqliteConnection, fileId: number, rows: readonly RejectedRow[]): void {
  const stmt = conn.prepare(INSERT_REJECT_SQL);
  for (const r of rows) stmt.run(fileId, r.line, r.raw, r.column ?? null, r.value ?? null, r.reason);
}

/** {@link Database.recordAudit}. */
export function recordAudit(client: SqliteClient, event: AuditEvent): Promise<void> {
  return client.run('recordAudit', (conn) => auditIn(conn, event), { write: true });
}

/** {@link Database.listAudit}. */
export function listAudit(client: SqliteClient, fileId: number): Promise<AuditRecord[]> {
  return client.run(
    'listAudit',
    (conn) => (conn.prepare(LIST_AUDIT_SQL).all(fileId) as AuditRowLike[]).map(auditRecordFrom),
    { write: false },
  );
}

/** {@link Database.recordRejects}. */
export async function recordRejects(client: SqliteClient, fileId: number, rows: readonly RejectedRow[]): Promise<void> {
  return client.run('recordRejects', (conn) => rejectsIn(conn, fileId, rows), { write: true });
}

/** {@link Database.listRejects}. */
export function listRejects(client: SqliteClient, fileId: number, limit: number | undefined): Promise<RejectedRow[]> {
  const all = limit ?? -1;
  return client.run(
    'listRejects',
    (conn) => (conn.prepare(LIST_REJECTS_SQL).all(fileId, all) as RejectRowLike[]).map(rejectFrom),
    { write: false },
  );
}
