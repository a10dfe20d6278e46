/**
 * SQL Server file tracking with leases (`[refdata].[files]`): a claim is a compare-and-set batch
 * backed by a unique index on the active path, on server time; every later write presents the token.
 */
import { randomUUID } from 'node:crypto';
import type {
  FileClaim,
  FileEntry,
  FileFinish,
  FileProgressPatch,
  FileRecord,
  FileStatus,
  FileTracking,
  FindLoadedQuery,
} from '../../types.js';
import {
  assertFileStatus,
  assertFinishStatus,
  assertLease,
  assertValidId,
  claimLost,
  dateOrNull,
  excludedFileId,
  type FilePatchColumn,
  type FileRowLike,
  fileRecordFrom,
  patchColumns,
} from '../shared.js';
import type { MssqlClient, MssqlSession, SqlParam } from './mssql-client.js';
import { big, guid, int, nv } from './mssql-params.js';
import {
  CLAIM_NEW_SQL,
  FILES_BY_SHA256_SQL,
  FIND_LOADED_SQL,
  GET_FILE_SQL,
  HEARTBEAT_SQL,
  LIST_EXPIRED_SQL,
  LIST_FILES_BY_STATUS_SQL,
  LIST_FILES_SQL,
  MARK_RELEASED_SQL,
  RECLAIM_SQL,
  updateFileSql,
} from './mssql-sql.js';

/** The parameter of each patchable column (named after it), with its declared length. */
const PATCH_PARAMS: Readonly<Record<FilePatchColumn, (value: string | number) => SqlParam>> = {
  status: (v) => nv('status', String(v), 20),
  path: (v) => nv('path', String(v)),
  size: (v) => big('size', Number(v)),
  sha256: (v) => nv('sha256', String(v), 64),
  rows_read: (v) => big('rows_read', Number(v)),
  rows_loaded: (v) => big('rows_loaded', Number(v)),
  rows_rejected: (v) => big('rows_rejected', Number(v)),
  target_table: (v) => nv('target_table', String(v), 128),
};

/** `column = @column` assignments and their parameters for a progress patch. */
function patchSql(patch: FileProgressPatch): { sets: string[]; params: SqlParam[] } {
  const columns = patchColumns(patch);
  return {
    sets: columns.map((c) => `${c.column} = @${c.column}`),
    params: columns.map((c) => PATCH_PARAMS[c.column](c.value)),
  };
}

/** Duplicate key in a unique index (2601) or constraint (2627): another instance claimed the path first. */
const DUPLICATE_KEY_ERRORS = new Set([2601, 2627]);

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a claim's token can be the one a claim issued (a malformed one never holds a row). */
const wellFormed = (claim: FileClaim): boolean => GUID.test(claim.token);

/** Whether an error is the unique index on the active path refusing a second claim. */
function isDuplicateKey(err: unknown): boolean {
  const number = (err as { number?: unknown }).number;
  return typeof number === 'number' && DUPLICATE_KEY_ERRORS.has(number);
}

/** {@link FileTracking} over the SQL Server metadata; each call is one statement on its own. */
export class MssqlFileTracking implements FileTracking {
  readonly #client: MssqlClient;

  constructor(client: MssqlClient) {
    this.#client = client;
  }

  #unit<T>(label: string, fn: (s: MssqlSession) => Promise<T>): Promise<T> {
    return this.#client.unit(`files.${label}`, fn, { transaction: false });
  }

  async claimNew(
    entry: FileEntry,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertLease(lease.leaseMs);
    const token = randomUUID();
    let row: { id: unknown; lease_until: Date } | undefined;
    try {
      [row] = await this.#unit('claimNew', (s) =>
        s.query<{ id: unknown; lease_until: Date }>(CLAIM_NEW_SQL, [
          nv('path', entry.path),
          nv('name', entry.name, 1024),
          big('size', entry.size),
          big('mtime', entry.mtimeMs === undefined ? null : Math.trunc(entry.mtimeMs)),
          nv('instance', lease.instanceId, 200),
          int('lease_ms', Math.ceil(lease.leaseMs)),
          guid('token', token),
        ]),
      );
    } catch (err) {
      // Two instances inserted the same new path at once: the unique index let one through.
      if (isDuplicateKey((err as { cause?: unknown }).cause ?? err)) return null;
      throw err;
    }
    return row === undefined
      ? null
      : { fileId: Number(row.id), token, leaseUntil: dateOrNull(row.lease_until) as Date };
  }

  async reclaim(
    fileId: number,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertValidId(fileId, 'fileId');
    assertLease(lease.leaseMs);
    const token = randomUUID();
    const [row] = await this.#unit('reclaim', (s) =>
      s.query<{ lease_until: Date }>(RECLAIM_SQL, [
        big('id', fileId),
        nv('instance', lease.instanceId, 200),
        int('lease_ms', Math.ceil(lease.leaseMs)),
        guid('token', token),
      ]),
    );
    return row === undefined ? null : { fileId, token, leaseUntil: dateOrNull(row.lease_until) as Date };
  }

  async heartbeat(claim: FileClaim, leaseMs: number): Promise<boolean> {
    assertLease(leaseMs);
    if (!wellFormed(claim)) return false;
    const n = await this.#unit('heartbeat', (s) =>
      s.execute(HEARTBEAT_SQL, [
        big('id', claim.fileId),
        guid('token', claim.token),
        int('lease_ms', Math.ceil(leaseMs)),
      ]),
    );
    return n === 1;
  }

  async update(claim: FileClaim, patch: FileProgressPatch): Promise<void> {
    const { sets, params } = patchSql(patch);
    if (patch.status === 'processing') sets.push('started_at = COALESCE(started_at, SYSUTCDATETIME())');
    if (!wellFormed(claim)) throw claimLost(claim);
    const n = await this.#unit('update', (s) =>
      s.execute(updateFileSql(sets, false), [...params, big('id', claim.fileId), guid('token', claim.token)]),
    );
    if (n !== 1) throw claimLost(claim);
  }

  async finish(claim: FileClaim, finish: FileFinish): Promise<void> {
    assertFinishStatus(finish.status);
    const { sets, params } = patchSql(finish);
    if (!wellFormed(claim)) throw claimLost(claim);
    sets.push(
      'error_code = @error_code',
      'error_message = @error_message',
      'finished_at = SYSUTCDATETIME()',
      'lease_until = NULL',
    );
    params.push(nv('error_code', finish.errorCode ?? null, 100), nv('error_message', finish.errorMessage ?? null));
    const n = await this.#unit('finish', (s) =>
      s.execute(updateFileSql(sets, true), [...params, big('id', claim.fileId), guid('token', claim.token)]),
    );
    if (n !== 1) throw claimLost(claim);
  }

  async get(fileId: number): Promise<FileRecord | undefined> {
    assertValidId(fileId, 'fileId');
    const [row] = await this.#unit('get', (s) => s.query<FileRowLike>(GET_FILE_SQL, [big('id', fileId)]));
    return row === undefined ? undefined : fileRecordFrom(row);
  }

  async list(filter: { readonly status?: FileStatus; readonly limit?: number } = {}): Promise<FileRecord[]> {
    if (filter.status !== undefined) assertFileStatus(filter.status);
    const limit = int('limit', filter.limit ?? 2_147_483_647);
    const rows = await this.#unit('list', (s) =>
      filter.status === undefined
        ? s.query<FileRowLike>(LIST_FILES_SQL, [limit])
        : s.query<FileRowLike>(LIST_FILES_BY_STATUS_SQL, [limit, nv('status', filter.status, 20)]),
    );
    return rows.map(fileRecordFrom);
  }

  async listExpired(): Promise<FileRecord[]> {
    return (await this.#unit('listExpired', (s) => s.query<FileRowLike>(LIST_EXPIRED_SQL))).map(fileRecordFrom);
  }

  async markReleased(fileId: number, path: string): Promise<boolean> {
    const n = await this.#unit('markReleased', (s) =>
      s.execute(MARK_RELEASED_SQL, [nv('path', path), big('id', fileId)]),
    );
    return n === 1;
  }

  async findBySha256(sha256: string): Promise<FileRecord[]> {
    const rows = await this.#unit('findBySha256', (s) =>
      s.query<FileRowLike>(FILES_BY_SHA256_SQL, [nv('sha', sha256, 64)]),
    );
    return rows.map(fileRecordFrom);
  }

  async findLoaded(query: FindLoadedQuery): Promise<FileRecord | undefined> {
    const exclude = excludedFileId(query);
    const [row] = await this.#unit('findLoaded', (s) =>
      s.query<FileRowLike>(FIND_LOADED_SQL, [
        nv('sha', query.sha256, 64),
        nv('table', query.table, 128),
        big('exclude', exclude),
      ]),
    );
    return row === undefined ? undefined : fileRecordFrom(row);
  }
}
