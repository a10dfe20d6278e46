/**
 * The dialects the conformance suite runs against. SQLite always runs (a temp file per test);
 * SQL Server runs only when REFDATA_TEST_MSSQL holds a connection URL (password in
 * REFDATA_TEST_MSSQL_PASSWORD or the URL), and must then pass unchanged.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { connectMssqlAdmin, mssqlUrlWith } from '@refdata/test-utils/mssql';
import BetterSqlite3 from 'better-sqlite3';
import { onTestFinished } from 'vitest';
import type { Database, Dialect, OpenDatabaseOptions } from '../../src/index.js';
import { openDatabase } from '../../src/index.js';

export interface Target {
  /** Whether the dialect can run here. */
  readonly available: boolean;
  /**
   * Runs one statement on `db`'s store outside refdata (its own connection), as an operator
   * editing a table by hand would.
   */
  outside(db: Database, sql: string): Promise<void>;
  /** Opens a migrated database for one test; closed when the test ends. */
  open(options?: OpenDatabaseOptions): Promise<Database>;
  /** Two instances on one store (as two watcher processes would be); closed when the test ends. */
  openPair(): Promise<[Database, Database]>;
  /**
   * Opens a migrated database no other test uses (SQL Server: a new database, dropped when the
   * test ends), for tests of database-wide operations such as retention.
   */
  openIsolated(options?: OpenDatabaseOptions): Promise<Database>;
}

const mssqlUrl = process.env.REFDATA_TEST_MSSQL;
const sharedMssql = new Map<string, Promise<Database>>();

function openMssql(options: OpenDatabaseOptions): Promise<Database> {
  const password = process.env.REFDATA_TEST_MSSQL_PASSWORD;
  return openDatabase(mssqlUrl as string, { ...options, ...(password === undefined ? {} : { password }) });
}

/** Closes the SQL Server databases {@link TARGETS} shared across a file's tests (call in afterAll). */
export async function closeSharedTargets(): Promise<void> {
  const all = [...sharedMssql.values()];
  sharedMssql.clear();
  await Promise.all(all.map(async (db) => (await db).close()));
}

export const TARGETS: Record<Dialect, Target> = {
  sqlite: {
    available: true,
    async outside(db, sql) {
      const conn = new BetterSqlite3(db.displayUrl.replace(/^sqlite:/, ''));
      try {
        conn.exec(sql);
      } finally {
        conn.close();
      }
    },
    async open(options = {}) {
      const { dir, cleanup } = await makeTempDir('refdata-conf-');
      const db = await openDatabase(`sqlite:${join(dir, 'conformance.db')}`, options);
      onTestFinished(async () => {
        await db.close();
        await cleanup();
      });
      await db.migrate();
      return db;
    },
    async openPair() {
      const { dir, cleanup } = await makeTempDir('refdata-conf-');
      const file = `sqlite:${join(dir, 'conformance.db')}`;
      const a = await openDatabase(file);
      await a.migrate();
      const b = await openDatabase(file);
      onTestFinished(async () => {
        await a.close();
        await b.close();
        await cleanup();
      });
      return [a, b];
    },
    openIsolated(options = {}) {
      return TARGETS.sqlite.open(options);
    },
  },
  mssql: {
    available: mssqlUrl !== undefined && mssqlUrl !== '',
    async outside(_db, sql) {
      // Tests that edit outside refdata use the shared database of open() (the URL's own).
      const admin = await connectMssqlAdmin(mssqlUrl as string);
      try {
        await admin.query(sql);
      } finally {
        await admin.close();
      }
    },
    // One open database per option set for the whole file: a Babelfish login costs 0.2–2 s (a
    // PostgreSQL backend starts per connection), so a fresh pool per test would dominate the run.
    async open(options = {}) {
      const key = JSON.stringify(options);
      let opened = sharedMssql.get(key);
      if (opened === undefined) {
        opened = openMssql(options);
        sharedMssql.set(key, opened);
      }
      const db = await opened;
      await db.migrate();
      return db;
    },
    async openPair() {
      // Two separate instances (two pools), as two watcher processes would be.
      const pair = await Promise.all([openMssql({ poolSize: 4 }), openMssql({ poolSize: 4 })]);
      onTestFinished(async () => {
        await Promise.all(pair.map((db) => db.close()));
      });
      await pair[0].migrate();
      return pair;
    },
    async openIsolated(options = {}) {
      const name = `refdata_iso_${randomBytes(4).toString('hex')}`;
      const admin = await connectMssqlAdmin(mssqlUrl as string);
      await admin.query(`CREATE DATABASE [${name}]`);
      onTestFinished(async () => {
        await admin.query(`DROP DATABASE [${name}]`).finally(() => admin.close());
      });
      const password = process.env.REFDATA_TEST_MSSQL_PASSWORD;
      const db = await openDatabase(mssqlUrlWith(mssqlUrl as string, { database: name }), {
        ...options,
        ...(password === undefined ? {} : { password }),
      });
      onTestFinished(() => db.close());
      await db.migrate();
      return db;
    },
  },
};

/** A table name no other test (or earlier run on a shared server) uses. */
export function uniqueTable(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** `bytes` random bytes as lower-case hex (a made-up sha256 for 32). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** The same expectation for every dialect, stated explicitly so a new dialect must opt in. */
export function same<T>(value: T): Record<Dialect, T> {
  return { sqlite: value, mssql: value };
}
