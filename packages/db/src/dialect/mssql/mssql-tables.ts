/**
 * Live SQL Server tables (schema `ref`): what exists and how it is declared (helpers every unit of
 * work uses), and `describeTable`, `listTables` and `readTable` (a paused/resumed row stream).
 */
import { DbError, DbErrorCode } from '../../errors.js';
import { foldIdentifier } from '../../identifiers.js';
import { abortError } from '../../retry.js';
import type { ColumnDef, DbValue, TableDescription } from '../../types.js';
import { sameDbType } from '../../values.js';
import type { MssqlClient, MssqlSession } from './mssql-client.js';
import { datasetIn } from './mssql-datasets.js';
import { nv } from './mssql-params.js';
import {
  countSql,
  DESCRIBE_SQL,
  LIST_TABLES_SQL,
  OBJECT_ID_SQL,
  RENAME_SQL,
  readTableSql,
  SCHEMAS,
} from './mssql-sql.js';
import { mssqlReadValue, parseMssqlType, qualified } from './mssql-types.js';

/** Whether the table `[schema].[name]` exists. */
export async function existsIn(s: MssqlSession, schema: string, name: string): Promise<boolean> {
  const [row] = await s.query<{ id: unknown }>(OBJECT_ID_SQL, [nv('name', qualified(schema, name))]);
  return row !== undefined && row.id !== null;
}

/** The columns of `[schema].[name]` with their logical types, or undefined when it does not exist. */
export async function describeIn(s: MssqlSession, schema: string, name: string): Promise<ColumnDef[] | undefined> {
  const rows = await s.query<{
    name: string;
    type_name: string;
    max_length: number;
    precision: number;
    scale: number;
    nullable: boolean;
  }>(DESCRIBE_SQL, [nv('name', qualified(schema, name))]);
  if (rows.length === 0) return undefined;
  return rows.map((r) => ({
    name: r.name,
    type: parseMssqlType(r.type_name, Number(r.max_length), Number(r.precision), Number(r.scale)),
    nullable: Boolean(r.nullable),
  }));
}

/** The number of rows of `[schema].[name]`. */
export async function countIn(s: MssqlSession, schema: string, name: string): Promise<number> {
  const [row] = await s.query<{ n: unknown }>(countSql(schema, name));
  return Number(row?.n ?? 0);
}

/** Renames `[schema].[name]` to `newName` in the same schema (sp_rename). */
export async function renameIn(s: MssqlSession, schema: string, name: string, newName: string): Promise<void> {
  await s.execute(RENAME_SQL, [nv('objname', qualified(schema, name), 1000), nv('newname', newName, 128)]);
}

/**
 * Whether two column lists are the same columns in the same order: names and types, and
 * nullability unless `nullability: false` (a `SELECT … INTO` snapshot on Babelfish loses NOT NULL).
 */
export function sameColumns(
  a: readonly ColumnDef[],
  b: readonly ColumnDef[],
  options: { readonly nullability: boolean } = { nullability: true },
): boolean {
  return (
    a.length === b.length &&
    a.every((c, i) => {
      const d = b[i] as ColumnDef;
      return (
        foldIdentifier(c.name) === foldIdentifier(d.name) &&
        (!options.nullability || c.nullable === d.nullable) &&
        sameDbType(c.type, d.type)
      );
    })
  );
}

/** {@link Database.describeTable}. */
export function describeTable(client: MssqlClient, table: string): Promise<TableDescription | undefined> {
  return client.unit(
    'describeTable',
    async (s) => {
      const columns = await describeIn(s, SCHEMAS.live, table);
      if (columns === undefined) return undefined;
      return { name: table, columns, rowCount: await countIn(s, SCHEMAS.live, table) };
    },
    { transaction: false },
  );
}

/** {@link Database.listTables}. */
export function listTables(client: MssqlClient): Promise<TableDescription[]> {
  return client.unit(
    'listTables',
    async (s) => {
      const out: TableDescription[] = [];
      for (const { name } of await s.query<{ name: string }>(LIST_TABLES_SQL)) {
        out.push({
          name,
          columns: (await describeIn(s, SCHEMAS.live, name)) ?? [],
          rowCount: await countIn(s, SCHEMAS.live, name),
        });
      }
      return out;
    },
    { transaction: false },
  );
}

/** The dataset's key columns as the table spells them, when every one exists; else none. */
async function keyOrder(s: MssqlSession, table: string, columns: readonly ColumnDef[]): Promise<string[]> {
  const keys = ((await datasetIn(s, table))?.keyColumns ?? []).map((k) =>
    columns.find((c) => foldIdentifier(c.name) === foldIdentifier(k)),
  );
  return keys.every((c) => c !== undefined) ? keys.map((c) => c.name) : [];
}

/**
 * The rows of {@link Database.readTable}: one connection for the whole read, rows queued and the stream
 * paused above 1,000 queued rows. The reader holds a shared schema lock on the table, so a
 * concurrent replace waits for it and the reader sees the old table complete.
 */
export async function* readRows(
  client: MssqlClient,
  table: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<readonly DbValue[]> {
  const queue: unknown[][] = [];
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let control: { pause: () => void; resume: () => void; cancel: () => void } | undefined;
  let paused = false;
  let columns: ColumnDef[] | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const running = client
    .withConnection('readTable', async (s) => {
      columns = await describeIn(s, SCHEMAS.live, table);
      if (columns === undefined) {
        throw new DbError(
          DbErrorCode.TABLE_NOT_FOUND,
          `The table ref.${table} does not exist; list the tables with listTables().`,
        );
      }
      const cols = columns;
      const st = s.stream(readTableSql(table, cols, await keyOrder(s, table, cols)), [], (raw) => {
        queue.push(raw.map((v, i) => mssqlReadValue((cols[i] as ColumnDef).type, v)));
        if (queue.length >= 1000 && !paused) {
          paused = true;
          st.pause();
        }
        notify();
      });
      control = st;
      await st.done;
    })
    .then(
      () => {
        finished = true;
        notify();
      },
      (err: unknown) => {
        failure = err;
        finished = true;
        notify();
      },
    );
  try {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const row = queue.shift();
      if (row !== undefined) {
        if (paused && queue.length < 100) {
          paused = false;
          control?.resume();
        }
        yield row as DbValue[];
        continue;
      }
      if (finished) {
        if (failure !== undefined) throw failure;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    if (!finished) control?.cancel();
    await running;
  }
}
