/**
 * The access trail: every operation the monitor (or a command) performs on a file becomes an
 * `access` audit event in the database — who (OS user, instance), what, from where to where, when.
 */
import { hostname, userInfo } from 'node:os';
import type { AuditRecord, Database, Logger } from '@refdata/db';
import type { FileOperationEvent } from '@refdata/monitor';

/**
 * The details of an `access` audit event (stored as JSON; the README's security section queries
 * them: `name`, `from`, `to`, `user`, `instanceId`, `at`).
 */
export interface AccessDetails {
  /** `seen`, `moved`, `claimed`, `reclaimed`, `written`, `removed`, `released` (the monitor's), or `moved` by `refdata release`. */
  readonly operation: string;
  /** Why, for moves and removals (`claim`, `settle`, `claim-refused`, `release` …). */
  readonly reason?: string;
  /** The file's original name. */
  readonly name: string;
  readonly from: string;
  /** Null when the file was removed. */
  readonly to: string | null;
  /** The stage folder of `to` (of `from` for a removal). */
  readonly stage: string;
  readonly instanceId: string;
  readonly user: string;
  /** When the operation was done (ISO 8601, UTC). */
  readonly at: string;
}

/** The stored form of a monitor event. */
export function accessDetailsOf(event: FileOperationEvent): AccessDetails {
  return {
    operation: event.operation,
    ...(event.reason === undefined ? {} : { reason: event.reason }),
    name: event.name,
    from: event.from,
    to: event.to,
    stage: event.stage,
    instanceId: event.instanceId,
    user: event.user,
    at: event.at.toISOString(),
  };
}

/** The access events of a file's audit trail, in order. */
export function accessEventsOf(audit: readonly AuditRecord[]): AccessDetails[] {
  const events: AccessDetails[] = [];
  for (const a of audit)
    if (a.step === 'access' && a.details !== undefined) events.push(a.details as unknown as AccessDetails);
  return events;
}

/** The OS user this process runs as (`uid:<n>` when the name is unknown), as the monitor names it. */
export function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return typeof process.getuid === 'function' ? `uid:${process.getuid()}` : 'unknown';
  }
}

/** An instance id for a command that moves a file itself (`refdata release`): `host:pid:cli`. */
export function commandInstanceId(): string {
  return `${hostname()}:${process.pid}:cli`;
}

/** Options of {@link AccessTrail}. */
export interface AccessTrailOptions {
  readonly db: Pick<Database, 'recordAudit'>;
  readonly logger: Logger;
  /**
   * Files whose operations are held back until their claim gives them an id. Beyond this many,
   * the oldest file's operations are recorded without an id (never dropped).
   * @default 1000
   */
  readonly maxPendingFiles?: number;
}

/**
 * Records the monitor's `operation` events as `access` audit events, one write at a time.
 *
 * Operations before a claim (`seen`, the move into `processing/`) have no file id yet: they are
 * held, keyed by where the file lies, and recorded with the id the claim brings, so
 * `refdata show ID` lists them. A file put back into `incoming/` (another instance holds it) has
 * its operations recorded without an id. A write that fails is logged with the event, never lost
 * silently.
 *
 * @example
 * ```ts
 * const trail = new AccessTrail({ db, logger });
 * monitor.on('operation', (op) => trail.record(op));
 * // … at the end, before closing the database:
 * await trail.close();
 * ```
 */
export class AccessTrail {
  readonly #db: Pick<Database, 'recordAudit'>;
  readonly #log: Logger;
  readonly #max: number;
  /** Operations of files not claimed yet, by the path where the file lies now. */
  readonly #pending = new Map<string, AccessDetails[]>();
  #writes: Promise<void> = Promise.resolve();
  #failed = 0;

  constructor(options: AccessTrailOptions) {
    this.#db = options.db;
    this.#log = options.logger;
    this.#max = options.maxPendingFiles ?? 1000;
  }

  /** Writes that failed so far (each was logged). */
  get failed(): number {
    return this.#failed;
  }

  /** Takes one monitor event. */
  record(event: FileOperationEvent): void {
    this.add(accessDetailsOf(event), event.fileId);
  }

  /** Takes one operation, with the file id when known. */
  add(details: AccessDetails, fileId: number | undefined): void {
    const earlier = this.#pending.get(details.from) ?? [];
    this.#pending.delete(details.from);
    if (fileId !== undefined) {
      this.#write([...earlier, details], fileId);
      return;
    }
    const waitsForClaim =
      details.to !== null &&
      (details.operation === 'seen' || (details.operation === 'moved' && details.reason === 'claim'));
    if (waitsForClaim && details.to !== null) {
      this.#pending.set(details.to, [...earlier, details]);
      this.#bound();
      return;
    }
    this.#write([...earlier, details], null);
  }

  /** Records what is still held (without an id) and waits for every write. */
  async close(): Promise<void> {
    for (const events of this.#pending.values()) this.#write(events, null);
    this.#pending.clear();
    await this.#writes;
  }

  #bound(): void {
    while (this.#pending.size > this.#max) {
      const [path, events] = this.#pending.entries().next().value as [string, AccessDetails[]];
      this.#pending.delete(path);
      this.#write(events, null);
    }
  }

  #write(events: readonly AccessDetails[], fileId: number | null): void {
    for (const details of events) {
      this.#writes = this.#writes.then(async () => {
        try {
          await this.#db.recordAudit({ fileId, step: 'access', outcome: 'info', details: { ...details } });
        } catch (err) {
          this.#failed++;
          this.#log.warn(
            { access: details, fileId, code: (err as { code?: unknown }).code },
            'could not record a file operation in the access trail',
          );
        }
      });
    }
  }
}
