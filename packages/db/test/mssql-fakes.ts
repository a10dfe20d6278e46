/**
 * Structural fakes of tedious for unit tests of the SQL Server dialect (no server runs here).
 * @internal
 */

import type {
  TediousBulkLoadLike,
  TediousColumnValue,
  TediousConfig,
  TediousConnectionLike,
  TediousModuleLike,
  TediousRequestLike,
  TediousTypeOptions,
} from '../src/dialect/mssql/tedious-like.js';
import type { Logger } from '../src/types.js';

/** A log line captured by {@link recordingLogger}. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

/** A logger that records every line. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): Logger => ({
    debug: (obj, msg) => lines.push({ level: 'debug', obj: { ...bindings, ...obj }, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj: { ...bindings, ...obj }, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj: { ...bindings, ...obj }, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj: { ...bindings, ...obj }, msg }),
    child: (more) => make({ ...bindings, ...more }),
  });
  return { logger: make({}), lines };
}

/** What a fake request saw. */
export interface FakeStatement {
  readonly sql: string;
  readonly params: { name: string; type: unknown; value: unknown; options: TediousTypeOptions | null | undefined }[];
  readonly connection: number;
  readonly batch: boolean;
}

/** What a fake bulk load saw. */
export interface FakeBulk {
  readonly table: string;
  readonly options: { readonly keepNulls: boolean };
  readonly columns: { name: string; type: unknown; options: TediousTypeOptions }[];
  timeout: number | undefined;
  rows: unknown[][];
}

/** A scripted response: rows to emit, a row count, or an error. */
export type FakeResponse = { rows?: Record<string, unknown>[]; rowCount?: number; error?: Error };

/** A fake tedious module; `respond` decides every statement's result. */
export function fakeTedious(
  respond: (statement: FakeStatement) => FakeResponse = () => ({}),
  onBulk: (bulk: FakeBulk) => void = () => {},
): {
  module: TediousModuleLike;
  statements: FakeStatement[];
  bulks: FakeBulk[];
  connections: FakeConnection[];
  events: string[];
  failConnect: { next: Error | undefined };
  failBulk: { next: Error | undefined };
  /** Rows the next failing bulk load (failBulk) applies before it fails, as a cut connection may. */
  partialBulk: { next: number | undefined };
  /** Awaited after each row a bulk load takes: a slow server, for backpressure tests. */
  bulkPace: { each: (() => Promise<void>) | undefined };
  failCommit: { next: Error | undefined };
} {
  const statements: FakeStatement[] = [];
  const bulks: FakeBulk[] = [];
  const connections: FakeConnectionImpl[] = [];
  const events: string[] = [];
  const failConnect: { next: Error | undefined } = { next: undefined };
  const failBulk: { next: Error | undefined } = { next: undefined };
  const partialBulk: { next: number | undefined } = { next: undefined };
  const bulkPace: { each: (() => Promise<void>) | undefined } = { each: undefined };
  const failCommit: { next: Error | undefined } = { next: undefined };

  class FakeRequest implements TediousRequestLike {
    readonly sql: string;
    readonly callback: (err: Error | null | undefined, rowCount?: number) => void;
    readonly params: FakeStatement['params'] = [];
    readonly rowListeners: ((columns: TediousColumnValue[]) => void)[] = [];
    constructor(sql: string, callback: (err: Error | null | undefined, rowCount?: number) => void) {
      this.sql = sql;
      this.callback = callback;
    }
    addParameter(name: string, type: unknown, value?: unknown, options?: TediousTypeOptions | null): void {
      this.params.push({ name, type, value, options });
    }
    on(_event: 'row', listener: (columns: TediousColumnValue[]) => void): this {
      this.rowListeners.push(listener);
      return this;
    }
    pause(): void {}
    resume(): void {}
  }

  class FakeConnectionImpl implements TediousConnectionLike {
    readonly id = connections.length + 1;
    closed = false;
    inTransaction = false;
    readonly listeners = new Map<string, ((arg: never) => void)[]>();
    readonly config: TediousConfig;
    constructor(config: TediousConfig) {
      this.config = config;
      connections.push(this);
      events.push(`new ${this.id}`);
    }
    connect(callback: (err?: Error) => void): void {
      events.push(`connect ${this.id} (error listener: ${this.listeners.has('error')})`);
      const err = failConnect.next;
      failConnect.next = undefined;
      queueMicrotask(() => callback(err));
    }
    on(event: string, listener: (arg: never) => void): this {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
      return this;
    }
    emit(event: string, arg?: unknown): void {
      for (const l of this.listeners.get(event) ?? []) (l as (a: unknown) => void)(arg);
    }
    #run(request: TediousRequestLike, batch: boolean): void {
      const r = request as FakeRequest;
      const statement: FakeStatement = { sql: r.sql, params: r.params, connection: this.id, batch };
      statements.push(statement);
      const response = respond(statement);
      queueMicrotask(() => {
        if (response.error) {
          r.callback(response.error);
          return;
        }
        for (const row of response.rows ?? []) {
          const columns = Object.entries(row).map(([colName, value]) => ({ value, metadata: { colName } }));
          for (const l of r.rowListeners) l(columns);
        }
        r.callback(undefined, response.rowCount ?? response.rows?.length ?? 0);
      });
    }
    execSql(request: TediousRequestLike): void {
      this.#run(request, false);
    }
    execSqlBatch(request: TediousRequestLike): void {
      this.#run(request, true);
    }
    newBulkLoad(
      table: string,
      options: { readonly keepNulls: boolean },
      callback: (err: Error | null | undefined, rowCount?: number) => void,
    ): TediousBulkLoadLike {
      const bulk: FakeBulk & { callback: typeof callback } = {
        table,
        options,
        columns: [],
        timeout: undefined,
        rows: [],
        callback,
      };
      bulks.push(bulk);
      return Object.assign(bulk, {
        addColumn: (name: string, type: unknown, opts: TediousTypeOptions) => {
          bulk.columns.push({ name, type, options: opts });
        },
        setTimeout: (t?: number) => {
          bulk.timeout = t;
        },
      });
    }
    execBulkLoad(bulkLoad: TediousBulkLoadLike, rows: Iterable<unknown[]> | AsyncIterable<unknown[]>): void {
      const bulk = bulkLoad as unknown as FakeBulk & {
        callback: (err: Error | null | undefined, rowCount?: number) => void;
      };
      void (async () => {
        for await (const row of rows as AsyncIterable<unknown[]>) {
          bulk.rows.push(row);
          await bulkPace.each?.();
        }
        const err = failBulk.next;
        failBulk.next = undefined;
        const applied = err ? partialBulk.next : undefined;
        partialBulk.next = undefined;
        if (!err) onBulk(bulk);
        else if (applied !== undefined) onBulk({ ...bulk, rows: bulk.rows.slice(0, applied) });
        bulk.callback(err, err ? undefined : bulk.rows.length);
      })();
    }
    beginTransaction(callback: (err?: Error | null) => void): void {
      events.push(`begin ${this.id}`);
      this.inTransaction = true;
      queueMicrotask(() => callback());
    }
    commitTransaction(callback: (err?: Error | null) => void): void {
      events.push(`commit ${this.id}`);
      this.inTransaction = false;
      const err = failCommit.next;
      failCommit.next = undefined;
      queueMicrotask(() => callback(err));
    }
    rollbackTransaction(callback: (err?: Error | null) => void): void {
      events.push(`rollback ${this.id}`);
      this.inTransaction = false;
      queueMicrotask(() => callback());
    }
    reset(callback: (err?: Error | null) => void): void {
      events.push(`reset ${this.id}`);
      queueMicrotask(() => callback());
    }
    cancel(): boolean {
      return true;
    }
    close(): void {
      events.push(`close ${this.id}`);
      this.closed = true;
    }
  }

  const module: TediousModuleLike = {
    Connection: FakeConnectionImpl,
    Request: FakeRequest,
    TYPES: {
      Bit: 'Bit',
      Int: 'Int',
      BigInt: 'BigInt',
      NVarChar: 'NVarChar',
      DateTime2: 'DateTime2',
      UniqueIdentifier: 'UniqueIdentifier',
      Float: 'Float',
    },
    ISOLATION_LEVEL: { READ_COMMITTED: 2 },
  };
  return {
    module,
    statements,
    bulks,
    connections: connections as unknown as FakeConnection[],
    events,
    failConnect,
    failBulk,
    partialBulk,
    bulkPace,
    failCommit,
  };
}

/** A fake connection as tests see it. */
export interface FakeConnection extends TediousConnectionLike {
  readonly id: number;
  closed: boolean;
  inTransaction: boolean;
  emit(event: string, arg?: unknown): void;
}
