/**
 * Routing of files to datasets (the config file's `datasets`) and the options a dataset
 * contributes to an ingestion.
 */
import type { Database, DatasetConfig, DbType } from '@refdata/db';
import type { FormatOverrides } from '@refdata/detect';
import type { IngestOptions } from '@refdata/ingest';
import { tableNameFromFile } from '@refdata/ingest';
import type { AppConfig } from './config.js';
import type { ColumnKindSetting, DatasetSettings } from './config-file.js';

/**
 * A glob (`*`, `?`, `[abc]`) as a case-insensitive regular expression over a file name.
 *
 * @example
 * ```ts
 * globToRegExp('currencies_*.csv').test('CURRENCIES_20250101.csv'); // true
 * ```
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

/**
 * The dataset a file belongs to: the first whose `files` globs match its name, otherwise the
 * one whose table is the table derived from the name.
 *
 * @example
 * ```ts
 * findDataset(config.datasets, 'currencies_20250101.csv')?.table; // 'currencies'
 * ```
 */
export function findDataset(datasets: readonly DatasetSettings[], fileName: string): DatasetSettings | undefined {
  for (const ds of datasets) {
    if (ds.files?.some((g) => globToRegExp(g).test(fileName))) return ds;
  }
  let derived: string;
  try {
    derived = tableNameFromFile(fileName);
  } catch {
    return undefined;
  }
  return datasets.find((ds) => ds.files === undefined && ds.table.toLowerCase() === derived);
}

/**
 * Ingest options for a file from the config (global ingest settings, then the dataset's),
 * before the caller's own overrides.
 *
 * @example
 * ```ts
 * const options = ingestOptionsFor(config, 'currencies.csv');
 * ```
 */
export function ingestOptionsFor(config: AppConfig, fileName: string, table?: string): IngestOptions {
  const ds =
    table === undefined ? findDataset(config.datasets, fileName) : findDataset(config.datasets, `${table}.csv`);
  const format = formatOverrides(ds);
  return {
    table: table ?? ds?.table ?? tableNameFromFile(fileName),
    maxErrors: ds?.maxErrors ?? config.ingest.maxErrors,
    schemaDrift: ds?.schemaDrift ?? config.ingest.schemaDrift,
    skipDuplicates: config.ingest.skipDuplicates,
    ...(ds?.mode === undefined ? {} : { mode: ds.mode }),
    ...(ds?.keyColumns === undefined ? {} : { keyColumns: ds.keyColumns }),
    ...(format === undefined ? {} : { format }),
  };
}

function formatOverrides(ds: DatasetSettings | undefined): FormatOverrides | undefined {
  if (ds === undefined) return undefined;
  const types = Object.keys(ds.types).length > 0 ? { columnTypes: ds.types } : {};
  if (ds.format === undefined && Object.keys(types).length === 0) return undefined;
  return { ...(ds.format as FormatOverrides | undefined), ...types };
}

const DB_TYPE_OF_KIND: Partial<Record<ColumnKindSetting, DbType>> = {
  boolean: { kind: 'boolean' },
  date: { kind: 'date' },
  uuid: { kind: 'uuid' },
  text: { kind: 'text' },
};

/**
 * Records the config file's datasets in the database (`db.setDataset`), so `refdata` commands
 * and other services see the same table settings. Only type overrides with one exact database
 * type (boolean, date, uuid, text) are stored; the others still apply to detection.
 *
 * @example
 * ```ts
 * await syncDatasets(db, config.datasets);
 * ```
 */
export async function syncDatasets(db: Database, datasets: readonly DatasetSettings[]): Promise<number> {
  let n = 0;
  for (const ds of datasets) {
    const typeOverrides: Record<string, DbType> = {};
    for (const [col, kind] of Object.entries(ds.types)) {
      const t = DB_TYPE_OF_KIND[kind];
      if (t !== undefined) typeOverrides[col] = t;
    }
    const record: DatasetConfig = {
      table: ds.table,
      mode: ds.mode ?? 'replace',
      keyColumns: ds.keyColumns ?? [],
      typeOverrides,
    };
    await db.setDataset(record);
    n++;
  }
  return n;
}
