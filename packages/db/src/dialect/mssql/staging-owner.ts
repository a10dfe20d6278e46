/**
 * Who owns a staging table: each load holds a session-owned application lock named after its
 * staging (`refdata.stg.<staging>`) for its whole duration, on one connection of its process kept
 * for that purpose only (never pooled: returning it to the pool resets it, and sp_reset_connection
 * releases session locks — measured on Babelfish). A load's own units of work take pooled
 * connections one after another, so none of them could hold the lock for the load's duration.
 *
 * When the process dies (SIGKILL, power loss) the server ends its sessions and the locks go with
 * them; a cleaner ({@link dropDeadStaging}, at migrate() and at each beginLoad) takes, with
 * `@LockTimeout = 0`, the lock of every staging table it lists and drops the tables whose lock it
 * got: their owner is gone. A running load's lock is held, so its staging is never dropped.
 *
 * The lock is taken before the staging table is created and released after it is dropped, so a
 * staging table of a live load is never without its lock. If the lock connection itself is lost
 * while the process lives, the owner takes the locks again on a new connection before the load's
 * next step and fails the load if a cleaner dropped its staging in between.
 */
import { DbError, DbErrorCode } from '../../errors.js';
import type { Logger } from '../../types.js';
import type { MssqlSession } from './mssql-client.js';
import {
  dropTableIfExistsSql,
  releaseStagingLockSql,
  SCHEMAS,
  STAGING_TABLES_SQL,
  stagingExistsSql,
  stagingLockResource,
  takeStagingLockSql,
} from './mssql-sql.js';

/** The staging name a load's lock is named after: text staging, or typed staging (`<staging>.t`) without its suffix. */
export function stagingBase(name: string): string {
  return name.endsWith('.t') ? name.slice(0, -2) : name;
}

/** What the owner needs of the client: a dedicated (unpooled) connection. */
export interface LockConnection {
  /** The session of the connection; throws when it is lost. */
  readonly session: MssqlSession;
  /** Whether the connection ended or failed (its locks are gone). */
  readonly lost: boolean;
  close(): void;
}

/**
 * The application locks of this process's open loads, on one dedicated connection opened on
 * the first load. Requests on it run one at a time (a TDS connection runs one request).
 */
export class StagingOwner {
  readonly #open: () => Promise<LockConnection>;
  readonly #logger: Logger;
  readonly #held = new Set<string>();
  #connection: Promise<LockConnection> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(open: () => Promise<LockConnection>, logger: Logger) {
    this.#open = open;
    this.#logger = logger;
  }

  /** Staging names whose lock this process holds. */
  get held(): ReadonlySet<string> {
    return this.#held;
  }

  /** Takes the lock of a new staging table (before it is created). */
  hold(staging: string): Promise<void> {
    return this.#serial(async () => {
      const s = await this.#session();
      await takeLock(s, staging, 'its name is new');
      this.#held.add(staging);
    });
  }

  /**
   * Confirms this process still owns `staging`: after a lost lock connection, takes the locks
   * again on a new one and fails when the staging table is gone (a cleaner took it meanwhile).
   */
  confirm(staging: string): Promise<void> {
    return this.#serial(async () => {
      await this.#session();
      if (!this.#held.has(staging)) {
        throw new DbError(
          DbErrorCode.QUERY_FAILED,
          `The staging of this load (${staging}) was lost with the connection that held its lock; run the load again.`,
          { transient: true },
        );
      }
    });
  }

  /** Releases the lock of a staging table (after it is dropped); errors are logged, not thrown. */
  release(staging: string): Promise<void> {
    return this.#serial(async () => {
      if (!this.#held.delete(staging)) return;
      try {
        const c = await this.#connection;
        if (c !== undefined && !c.lost) await c.session.execute(releaseStagingLockSql(), [resource(staging)]);
      } catch (err) {
        this.#logger.warn({ staging, err: { message: (err as Error).message } }, 'could not release a staging lock');
      }
    });
  }

  /** Closes the lock connection (the locks go with it). */
  async close(): Promise<void> {
    const c = this.#connection;
    this.#connection = undefined;
    this.#held.clear();
    if (c !== undefined) (await c.catch(() => undefined))?.close();
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The live lock connection: opened when missing; after a loss, a new one with every lock taken again. */
  async #session(): Promise<MssqlSession> {
    let c = await this.#connection?.catch(() => undefined);
    if (c !== undefined && !c.lost) return c.session;
    const reopened = this.#connection !== undefined;
    this.#connection = this.#open();
    try {
      c = await this.#connection;
    } catch (err) {
      this.#connection = undefined;
      throw err;
    }
    if (reopened && this.#held.size > 0) {
      this.#logger.warn({ loads: this.#held.size }, 'the staging lock connection was lost; taking the locks again');
      for (const staging of [...this.#held]) {
        try {
          await takeLock(c.session, staging, 'it was held by this process');
          const [row] = await c.session.query<{ n: unknown }>(stagingExistsSql(), [tableName(staging)]);
          if (Number(row?.n ?? 0) === 0) throw new Error('the staging table is gone');
        } catch (err) {
          this.#held.delete(staging);
          this.#logger.warn({ staging, err: { message: (err as Error).message } }, 'lost the staging of a load');
        }
      }
    }
    return c.session;
  }
}

const resource = (staging: string) => ({
  name: 'resource',
  type: 'NVarChar' as const,
  value: stagingLockResource(staging),
});
const tableName = (staging: string) => ({ name: 'name', type: 'NVarChar' as const, value: staging });

async function takeLock(s: MssqlSession, staging: string, why: string): Promise<void> {
  const [row] = await s.query<{ r: unknown }>(takeStagingLockSql(), [resource(staging)]);
  const result = Number(row?.r);
  if (!(result >= 0)) {
    throw new DbError(
      DbErrorCode.QUERY_FAILED,
      `Could not take the lock of staging ${staging} (sp_getapplock returned ${row?.r}) although ${why}; run the load again.`,
      { transient: true },
    );
  }
}

/**
 * Drops the staging tables of loads whose process is gone: those whose lock it can take at once.
 * Tables of this process (`own`) are skipped. Returns the names dropped.
 */
export async function dropDeadStaging(s: MssqlSession, own: ReadonlySet<string>, logger: Logger): Promise<string[]> {
  const names = (await s.query<{ name: string }>(STAGING_TABLES_SQL)).map((r) => r.name);
  const loads = new Map<string, string[]>();
  const mine = new Set([...own].map((name) => name.toLowerCase()));
  for (const name of names) {
    const base = stagingBase(name);
    if (mine.has(base.toLowerCase())) continue;
    loads.set(base, [...(loads.get(base) ?? []), name]);
  }
  const dropped: string[] = [];
  for (const [base, tables] of loads) {
    const [row] = await s.query<{ r: unknown }>(takeStagingLockSql(), [resource(base)]);
    if (!(Number(row?.r) >= 0)) continue; // its load still runs
    try {
      for (const table of tables) {
        await s.execute(dropTableIfExistsSql(SCHEMAS.staging, table));
        dropped.push(table);
        logger.info({ staging: table }, 'dropped the staging table of a load whose process is gone');
      }
    } finally {
      await s.execute(releaseStagingLockSql(), [resource(base)]);
    }
  }
  return dropped;
}
