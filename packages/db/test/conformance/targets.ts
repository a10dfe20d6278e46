/**
 * The dialects the conformance suite runs against. SQLite always runs (a temp file per test);
 * SQL Server runs only when REFDATA_TEST_MSSQL holds a connection URL (password in
 * REFDATA_TEST_MSSQL_PASSWORD or the URL), and must then pass unchanged.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { makeTempDir } from '@refdata/test-utils';
import { onTestFinished } from 'vitest';
import type { Database, Dialect, OpenDatabaseOptions } from '../../src/index.js';
import { openDatabase } from '../../src/index.js';

export interface Target {
  /** Whether the dialect can run here. */
  readonly available: boolean;
  /** Opens a migrated database for one test; closed when the test ends. */
  open(options?: OpenDatabaseOptions): Promise<Database>;
  /** Two instances on one store (as two watcher processes would be); closed when the test ends. */
  openPair(): Promise<[Database, Database]>;
}

const mssqlUrl = process.env.REFDATA_TEST_MSSQL;

export const TARGETS: Record<Dialect, Target> = {
  sqlite: {
    available: true,
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
  },
  mssql: {
    available: mssqlUrl !== undefined && mssqlUrl !== '',
    async open(options = {}) {
      const password = process.env.REFDATA_TEST_MSSQL_PASSWORD;
      const db = await openDatabase(mssqlUrl as string, {
        ...options,
        ...(password === undefined ? {} : { password }),
      });
      onTestFinished(() => db.close());
      await db.migrate();
      return db;
    },
    async openPair() {
      return [await this.open(), await this.open()];
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
