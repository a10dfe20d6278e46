/**
 * Bound parameters of the SQL Server dialect, by tedious type: names come from the builders,
 * never from data, and every string parameter declares its length.
 */
import type { SqlParam } from './mssql-client.js';

/** NVARCHAR(`length`) (4,000 by default). */
export const nv = (name: string, value: string | null, length = 4000): SqlParam => ({
  name,
  type: 'NVarChar',
  value,
  options: { length },
});
/** NVARCHAR(MAX). */
export const nvMax = (name: string, value: string | null): SqlParam => ({
  name,
  type: 'NVarChar',
  value,
  options: { length: Number.POSITIVE_INFINITY },
});
/** BIGINT. */
export const big = (name: string, value: number | bigint | null): SqlParam => ({ name, type: 'BigInt', value });
/** INT. */
export const int = (name: string, value: number): SqlParam => ({ name, type: 'Int', value });
/** UNIQUEIDENTIFIER. */
export const guid = (name: string, value: string): SqlParam => ({ name, type: 'UniqueIdentifier', value });
/** DATETIME2(3). */
export const dt = (name: string, value: Date): SqlParam => ({ name, type: 'DateTime2', value, options: { scale: 3 } });
/** FLOAT. */
export const float = (name: string, value: number | null): SqlParam => ({ name, type: 'Float', value });
