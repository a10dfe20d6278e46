/**
 * Live SQLite tables: what exists and how it is declared (helpers every unit of work uses), and
 * `describeTable`, `listTables` and `readTable` (a stream from one consistent WAL snapshot).
 */
import { DbError, DbErrorCode } from '../../errors.js';
import { foldIdentifier } from '../../identifiers.js';
import { abortError } from '../../retry.js';
import type { ColumnDef, DbValue, TableDescription } from '../../types.js';
import type { SqliteClient } from './sqlite-client.js';
import { type SqliteConnection, wrapSqliteError } from './sqlite-driver.js';
import {
  countSql,
  LIVE_TABLES_SQL,
  liveTableName,
  STORED_NAME_SQL,
  selectAllSql,
  TABLE_EXISTS_SQL,
  TABLE_INFO_SQL,
} from './sqlite-sql.js';
import { parseSqliteDeclaredType, sqliteReader } from './sqlite-types.js';

const ROWID_ALIASES = ['rowid', '_rowid_', 'oid'] as const;

/** The first rowid alias not shadowed by a data column (a column named `rowid` hides the real rowid). */
export function pickRowidAlias(columns: readonly string[]): string {
  const folded = new Set(columns.map(foldIdentifier));
  const alias = ROWID_ALIASES.find((a) => !folded.has(a));
  if (alias === undefined) {
    throw new DbError(
      DbErrorCode.IDENTIFIER_INVALID,
      'Columns named rowid, _rowid_ and oid all at once hide the row id SQLite needs; rename one of them.',
    );
  }
  return alias;
}

/** Whether the table `physical` exists (names compared ignoring case, as SQLite does). */
export function existsIn(conn: SqliteConnection, physical: string): boolean {
  return conn.prepare(TABLE_EXISTS_SQL).get(physical) !== undefined;
}

/** The name of `physical` as it was created. */
function storedName(conn: SqliteConnection, physical: string): string {
  return (conn.prepare(STORED_NAME_SQL).pluck().get(physical) as string) ?? physical;
}

/** The columns of `physical` with their logical types, or undefined when it does not exist. */
export function describeIn(conn: SqliteConnection, physical: string): ColumnDef[] | undefined {
  if (!existsIn(conn, physical)) return undefined;
  const rows = conn.prepare(TABLE_INFO_SQL).all(physical) as {
    name: string;
    type: string;
    nn: number;
  }[];
  return rows.map((r) => ({ name: r.name, type: parseSqliteDeclaredType(r.type), nullable: r.nn === 0 }));
}

/** The number of rows of `physical`. */
export function countIn(conn: SqliteConnection, physical: string): number {
  return Number(conn.prepare(countSql(physical)).pluck().get());
}

/** {@link Database.describeTable}. */
export function describeTable(client: SqliteClient, table: string): Promise<TableDescription | undefined> {
  return client.run(
    'describeTable',
    (conn) => {
      const physical = liveTableName(table);
      const columns = describeIn(conn, physical);
      if (columns === undefined) return undefined;
      return { name: storedName(conn, physical).slice(4), columns, rowCount: countIn(conn, physical) };
    },
    { write: false },
  );
}

/** {@link Database.listTables}. */
export function listTables(client: SqliteClient): Promise<TableDescription[]> {
  return client.run(
    'listTables',
    (conn) => {
      const names = conn.prepare(LIVE_TABLES_SQL).pluck().all() as string[];
      return names.map((physical) => ({
        name: physical.slice(4),
        columns: describeIn(conn, physical) ?? [],
        rowCount: countIn(conn, physical),
      }));
    },
    { write: false },
  );
}

/**
 * The rows of {@link Database.readTable}: a separate read-only connection holds one read transaction (a
 * consistent WAL snapshot) for the whole stream, so a replace committed meanwhile is not seen
 * half-way and the main connection stays free (better-sqlite3 forbids other statements while an
 * iterator is open).
 */
export async function* readRows(
  client: SqliteClient,
  table: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<readonly DbValue[]> {
  const memory = client.conn.memory;
  const reader = client.openReader();
  try {
    const physical = liveTableName(table);
    const { columns, rows } = await client.busyLoop(
      'readTable',
      () => {
        if (!memory) reader.exec('BEGIN');
        const cols = describeIn(reader, physical);
        if (cols === undefined) {
          throw new DbError(
            DbErrorCode.TABLE_NOT_FOUND,
            `The table ref.${table} does not exist; list the tables with listTables().`,
          );
        }
        const stmt = reader.prepare(
          selectAllSql(
            physical,
            cols.map((c) => c.name),
            pickRowidAlias(cols.map((c) => c.name)),
          ),
        );
        stmt.raw(true).safeIntegers(true);
        // In-memory databases cannot be shared with a second connection: materialise.
        const it: Iterable<unknown[]> = memory
          ? (stmt.all() as unknown[][])
          : (stmt.iterate() as IterableIterator<unknown[]>);
        return { columns: cols, rows: it };
      },
      signal,
    );
    const readers = columns.map((c) => sqliteReader(c.type));
    let n = 0;
    for (const raw of rows) {
      if ((++n & 1023) === 0 && signal?.aborted) throw abortError(signal);
      const out = new Array<DbValue>(readers.length);
      for (let i = 0; i < readers.length; i++) out[i] = (readers[i] as (v: unknown) => DbValue)(raw[i]);
      yield out;
    }
  } catch (err) {
    throw wrapSqliteError(err, `reading ref.${table}`);
  } finally {
    if (!memory) {
      if (reader.inTransaction) reader.exec('ROLLBACK');
      reader.close();
    }
  }
}
