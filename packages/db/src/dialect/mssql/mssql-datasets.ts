/**
 * Per-table settings in SQL Server (`[refdata].[datasets]`): `getDataset`, `setDataset`,
 * `listDatasets`, and the lookup readTable uses for the dataset's key order.
 */
import type { DatasetConfig } from '../../types.js';
import { type DatasetRowLike, datasetFrom } from '../shared.js';
import type { MssqlClient, MssqlSession } from './mssql-client.js';
import { nv, nvMax } from './mssql-params.js';
import { GET_DATASET_SQL, INSERT_DATASET_SQL, LIST_DATASETS_SQL, UPDATE_DATASET_SQL } from './mssql-sql.js';

/** One dataset's settings, in the current unit of work. */
export async function datasetIn(s: MssqlSession, table: string): Promise<DatasetConfig | undefined> {
  const [row] = await s.query<DatasetRowLike>(GET_DATASET_SQL, [nv('table', table, 128)]);
  return row === undefined ? undefined : datasetFrom(row);
}

/** {@link Database.getDataset}. */
export function getDataset(client: MssqlClient, table: string): Promise<DatasetConfig | undefined> {
  return client.unit('getDataset', (s) => datasetIn(s, table), { transaction: false });
}

/** {@link Database.setDataset}: UPDATE then INSERT … WHERE NOT EXISTS, never MERGE. */
export async function setDataset(client: MssqlClient, config: DatasetConfig): Promise<void> {
  const params = [
    nv('table', config.table, 128),
    nv('mode', config.mode, 10),
    nvMax('keys', JSON.stringify(config.keyColumns)),
    nvMax('overrides', JSON.stringify(config.typeOverrides)),
  ];
  await client.unit(
    'setDataset',
    async (s) => {
      const updated = await s.execute(UPDATE_DATASET_SQL, params);
      if (updated === 0) await s.execute(INSERT_DATASET_SQL, params);
    },
    { transaction: true },
  );
}

/** {@link Database.listDatasets}. */
export async function listDatasets(client: MssqlClient): Promise<DatasetConfig[]> {
  return (
    await client.unit('listDatasets', (s) => s.query<DatasetRowLike>(LIST_DATASETS_SQL), { transaction: false })
  ).map(datasetFrom);
}
