/**
 * SQLite file tracking with leases (`"refdata.files"`): claims are `BEGIN IMMEDIATE` + `UPDATE …`
 * / `INSERT … RETURNING`, so one process at a time decides; every later write presents the token.
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
  excludedFileId,
  type FileRowLike,
  fileRecordFrom,
  patchColumns,
} from '../shared.js';
import type { SqliteClient } from './sqlite-client.js';
import type { SqliteConnection } from './sqlite-driver.js';
import {
  FILES_BY_SHA256_SQL,
  FIND_LOADED_SQL,
  GET_FILE_SQL,
  HEARTBEAT_SQL,
  INSERT_CLAIMED_FILE_SQL,
  LIST_EXPIRED_SQL,
  LIST_FILES_BY_STATUS_SQL,
  LIST_FILES_SQL,
  LIVE_FILE_BY_PATH_SQL,
  MARK_RELEASED_SQL,
  RECLAIM_FILE_SQL,
  TAKE_OVER_FILE_SQL,
  updateFileSql,
} from './sqlite-sql.js';

/** `column = ?` assignments and their values for a progress patch. */
function patchSql(patch: FileProgressPatch): { sets: string[]; values: (string | number | null)[] } {
  const columns = patchColumns(patch);
  return { sets: columns.map((c) => `${c.column} = ?`), values: columns.map((c) => c.value) };
}

/** {@link FileTracking} over the SQLite metadata. */
export class SqliteFileTracking implements FileTracking {
  readonly #client: SqliteClient;

  constructor(client: SqliteClient) {
    this.#client = client;
  }

  #run<T>(label: string, fn: (conn: SqliteConnection) => T, write: boolean): Promise<T> {
    return this.#client.run(`files.${label}`, fn, { write });
  }

  async claimNew(
    entry: FileEntry,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertLease(lease.leaseMs);
    return this.#run(
      'claimNew',
      (conn) => {
        const now = Date.now();
        const leaseUntil = now + lease.leaseMs;
        const token = randomUUID();
        const existing = conn.prepare(LIVE_FILE_BY_PATH_SQL).get(entry.path) as
          | { id: number; lease_until: number | null }
          | undefined;
        if (existing !== undefined && existing.lease_until !== null && existing.lease_until > now) return null;
        let id: number;
        if (existing !== undefined) {
          conn
            .prepare(TAKE_OVER_FILE_SQL)
            .run(entry.name, entry.size, entry.mtimeMs ?? null, now, lease.instanceId, leaseUntil, token, existing.id);
          id = existing.id;
        } else {
          id = Number(
            conn
              .prepare(INSERT_CLAIMED_FILE_SQL)
              .pluck()
              .get(
                entry.path,
                entry.name,
                entry.size,
                entry.mtimeMs ?? null,
                now,
                now,
                lease.instanceId,
                leaseUntil,
                token,
              ),
          );
        }
        return { fileId: id, token, leaseUntil: new Date(leaseUntil) };
      },
      true,
    );
  }

  async reclaim(
    fileId: number,
    lease: { readonly instanceId: string; readonly leaseMs: number },
  ): Promise<FileClaim | null> {
    assertValidId(fileId, 'fileId');
    assertLease(lease.leaseMs);
    return this.#run(
      'reclaim',
      (conn) => {
        const now = Date.now();
        const token = randomUUID();
        const row = conn
          .prepare(RECLAIM_FILE_SQL)
          .get(now, lease.instanceId, now + lease.leaseMs, token, fileId, now) as { lease_until: number } | undefined;
        return row === undefined ? null : { fileId, token, leaseUntil: new Date(row.lease_until) };
      },
      true,
    );
  }

  async heartbeat(claim: FileClaim, leaseMs: number): Promise<boolean> {
    assertLease(leaseMs);
    return this.#run(
      'heartbeat',
      (conn) => conn.prepare(HEARTBEAT_SQL).run(Date.now() + leaseMs, claim.fileId, claim.token).changes === 1,
      true,
    );
  }

  async update(claim: FileClaim, patch: FileProgressPatch): Promise<void> {
    const { sets, values } = patchSql(patch);
    if (patch.status === 'processing') {
      sets.push('started_at = COALESCE(started_at, ?)');
      values.push(Date.now());
    }
    return this.#run(
      'update',
      (conn) => {
        const result = conn.prepare(updateFileSql(sets, false)).run(...values, claim.fileId, claim.token);
        if (result.changes !== 1) throw claimLost(claim);
      },
      true,
    );
  }

  async finish(claim: FileClaim, finish: FileFinish): Promise<void> {
    assertFinishStatus(finish.status);
    const { sets, values } = patchSql(finish);
    sets.push('error_code = ?', 'error_message = ?', 'finished_at = ?', 'lease_until = NULL');
    values.push(finish.errorCode ?? null, finish.errorMessage ?? null, Date.now());
    return this.#client.run(
      'files.finish',
      (conn) => {
        // The token must still hold the row; finishing twice with the same token is harmless.
        const result = conn.prepare(updateFileSql(sets, true)).run(...values, claim.fileId, claim.token);
        if (result.changes !== 1) throw claimLost(claim);
      },
      { write: true, durable: true },
    );
  }

  async get(fileId: number): Promise<FileRecord | undefined> {
    assertValidId(fileId, 'fileId');
    return this.#run(
      'get',
      (conn) => {
        const row = conn.prepare(GET_FILE_SQL).get(fileId) as FileRowLike | undefined;
        return row === undefined ? undefined : fileRecordFrom(row);
      },
      false,
    );
  }

  async list(filter: { readonly status?: FileStatus; readonly limit?: number } = {}): Promise<FileRecord[]> {
    if (filter.status !== undefined) assertFileStatus(filter.status);
    const limit = filter.limit ?? -1;
    return this.#run(
      'list',
      (conn) =>
        (
          (filter.status === undefined
            ? conn.prepare(LIST_FILES_SQL).all(limit)
            : conn.prepare(LIST_FILES_BY_STATUS_SQL).all(filter.status, limit)) as FileRowLike[]
        ).map(fileRecordFrom),
      false,
    );
  }

  async listExpired(): Promise<FileRecord[]> {
    return this.#run(
      'listExpired',
      (conn) => (conn.prepare(LIST_EXPIRED_SQL).all(Date.now()) as FileRowLike[]).map(fileRecordFrom),
      false,
    );
  }

  async markReleased(fileId: number, path: string): Promise<boolean> {
    return this.#run('markReleased', (conn) => conn.prepare(MARK_RELEASED_SQL).run(path, fileId).changes === 1, true);
  }

  async findBySha256(sha256: string): Promise<FileRecord[]> {
    return this.#run(
      'findBySha256',
      (conn) => (conn.prepare(FILES_BY_SHA256_SQL).all(sha256) as FileRowLike[]).map(fileRecordFrom),
      false,
    );
  }

  async findLoaded(query: FindLoadedQuery): Promise<FileRecord | undefined> {
    const exclude = excludedFileId(query);
    return this.#run(
      'findLoaded',
      (conn) => {
        const row = conn.prepare(FIND_LOADED_SQL).get(query.sha256, query.table, exclude, exclude) as
          | FileRowLike
          | undefined;
        return row === undefined ? undefined : fileRecordFrom(row);
      },
      false,
    );
  }
}
