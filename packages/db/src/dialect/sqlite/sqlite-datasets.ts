/**
 * Per-table settings in SQLite (`"refdata.datasets"`): `getDataset`, `setDataset`, `listDatasets`.
 */
import type { DatasetConfig } from '../../types.js';
import { type DatasetRowLike, datasetFrom } from '../shared.js';
import type { SqliteClient } from './sqlite-client.js';
import { GET_DATASET_SQL, LIST_DATASETS_SQL, UPSERT_DATASET_SQL } from './sqlite-sql.js';

/** {@link Database.getDataset}. */
export function getDataset(client: SqliteClient, table: string): Promise<DatasetConfig | undefined> {
  return client.run(
    'getDataset',
    (conn) => {
      const row = conn.prepare(GET_DATASET_SQL).get(table) as DatasetRowLike | undefined;
      return row === undefined ? undefined : datasetFrom(row);
    },
    { write: false },
  );
}

/** {@link Database.setDataset}. */
export function setDataset(client: SqliteClient, config: DatasetConfig): Promise<void> {
  return client.run(
    'setDataset',
    (conn) => {
      conn
        .prepare(UPSERT_DATASET_SQL)
        .run(
          config.table,
          config.mode,
          JSON.stringify(config.keyColumns),
          JSON.stringify(config.typeOverrides),
          Date.now(),
        );
    },
    { write: true },
  );
}

/** {@link Database.listDatasets}. */
export function listDatasets(client: SqliteClient): Promise<DatasetConfig[]> {
  return client.run(
    'listDatasets',
    (conn) => (conn.prepare(LIST_DATASETS_SQL).all() as DatasetRowLike[]).map(datasetFrom),
    { write: false },
  );
}
