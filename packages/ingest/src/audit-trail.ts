/**
 * One ingestion's audit trail: each step it records through `db.recordAudit` (when the file has a
 * tracking row), with its duration and the table. A step that cannot be recorded is logged, never
 * fatal: the load itself decides the outcome.
 */
import type { AuditOutcome, CallerAuditStep, Database, Logger } from '@refdata/db';

/** Records the steps of one ingestion. @internal */
export class AuditTrail {
  readonly #db: Database;
  readonly #fileId: number | undefined;
  readonly #table: string;
  readonly #log: Logger;

  constructor(db: Database, fileId: number | undefined, table: string, log: Logger) {
    this.#db = db;
    this.#fileId = fileId;
    this.#table = table;
    this.#log = log;
  }

  /** Records `step` with its outcome, the time since `since` (a `performance.now()`), and details. */
  async record(
    step: CallerAuditStep,
    outcome: AuditOutcome,
    since: number,
    details?: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    if (this.#fileId === undefined) return;
    try {
      await this.#db.recordAudit({
        fileId: this.#fileId,
        step,
        outcome,
        durationMs: Math.round(performance.now() - since),
        details: { table: this.#table, ...details },
      });
    } catch (err) {
      this.#log.warn({ err, step }, 'audit event not recorded');
    }
  }
}
