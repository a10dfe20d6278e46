// What the snapshot of an append or upsert costs as the live table grows (issue 11 item 3): a
// 1,000-row file (500 keys already live, 500 new) upserted, then appended, into a live table of
// 10,000 and of 500,000 rows, on SQLite and, when REFDATA_TEST_MSSQL is set, on the live SQL
// Server-compatible engine. Prints, per case, the commit time (beginLoad/write/validate are not
// counted), the snapshot's kind, the live rows before the load (what the catalogue lists), the
// rows the snapshot table stores and its size on disk, and the 500k / 10k ratios measured in the
// same run (1.0 would mean the cost does not grow with the table).
// Usage: pnpm --filter @refdata/db build &&
//   [REFDATA_TEST_MSSQL=$(../shared/mssql/babelfish start)] node packages/db/bench/snapshot-cost.mjs
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../dist/index.js';

const SIZES = (process.env.SNAPSHOT_BENCH_SIZES ?? '10000,500000').split(',').map(Number);
const FILE_ROWS = 1000;
const require = createRequire(import.meta.url);
const columns = [
  { name: 'id', type: { kind: 'bigint' }, nullable: false },
  { name: 'name', type: { kind: 'text', maxLength: 100 }, nullable: true },
  { name: 'qty', type: { kind: 'int' }, nullable: true },
];
const row = (i, tag) => [BigInt(i), `name ${i} ${tag}`, i % 1000];

async function load(db, mode, rows) {
  const session = await db.beginLoad({
    table: 'snap',
    columns,
    mode,
    keyColumns: ['id'],
    force: true,
    sourceFile: `${mode}.csv`,
  });
  for (let start = 0; start < rows.length; start += 10_000) {
    const batch = rows.slice(start, start + 10_000).map((values, j) => ({ line: start + j + 2, values }));
    await session.write(batch);
  }
  await session.validate();
  const t0 = performance.now();
  const outcome = await session.commit();
  return { ms: performance.now() - t0, snapshot: outcome.snapshot };
}

/** A 1,000-row file: 500 keys already live (updated), 500 new. */
function file(live, tag) {
  const rows = [];
  for (let i = 1; i <= FILE_ROWS / 2; i++) rows.push(row(i, tag));
  for (let i = 1; i <= FILE_ROWS / 2; i++) rows.push(row(live + i + (tag === 'append' ? FILE_ROWS : 0), tag));
  return rows;
}

async function runDialect(name, open, bytesOf) {
  const results = [];
  for (const size of SIZES) {
    const { db, cleanup } = await open();
    try {
      await db.migrate();
      const base = [];
      for (let i = 1; i <= size; i++) base.push(row(i, 'base'));
      await load(db, 'replace', base);
      for (const mode of ['upsert', 'append']) {
        const r = await load(db, mode, file(size, mode));
        const { bytes, stored } = await bytesOf(db, r.snapshot);
        results.push({ size, mode, ms: r.ms, kind: r.snapshot?.kind, rows: r.snapshot?.rows ?? 0, stored, bytes });
      }
    } finally {
      await db.close();
      await cleanup();
    }
  }
  for (const r of results)
    process.stdout.write(
      `${name} ${r.mode.padEnd(6)} into ${String(r.size).padStart(7)} rows: commit ${r.ms.toFixed(0).padStart(6)} ms, ${String(r.kind).padEnd(5)} snapshot of ${String(r.rows).padStart(7)} rows storing ${String(r.stored).padStart(7)} rows, ${(r.bytes / 1024).toFixed(0).padStart(7)} KiB\n`,
    );
  if (SIZES.length >= 2) {
    for (const mode of ['upsert', 'append']) {
      const [a, b] = [SIZES[0], SIZES[SIZES.length - 1]].map((s) =>
        results.find((r) => r.size === s && r.mode === mode),
      );
      process.stdout.write(
        `${name} ${mode}: ${b.size}/${a.size} live rows → commit time ×${(b.ms / a.ms).toFixed(1)}, snapshot bytes ×${(b.bytes / a.bytes).toFixed(1)}\n`,
      );
    }
  }
}

// ---- SQLite ---------------------------------------------------------------------------------------
await runDialect(
  'sqlite',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'refdata-snapbench-'));
    const path = join(dir, 'bench.db');
    return { db: await openDatabase(`sqlite:${path}`), path, cleanup: async () => rmSync(dir, { recursive: true }) };
  },
  async (db, snapshot) => {
    // dbstat: the pages the snapshot table occupies (the file itself only grows).
    const Database = require('better-sqlite3');
    const path = db.displayUrl.replace(/^sqlite:/, '');
    const conn = new Database(path, { readonly: true });
    try {
      const physical = `bkp.${snapshot.snapshot}`;
      return {
        bytes: Number(conn.prepare('SELECT COALESCE(SUM(pgsize), 0) AS b FROM dbstat WHERE name = ?').get(physical).b),
        stored: Number(conn.prepare(`SELECT COUNT(*) AS n FROM "${physical.replaceAll('"', '""')}"`).get().n),
      };
    } finally {
      conn.close();
    }
  },
);

// ---- SQL Server (Babelfish here) ------------------------------------------------------------------
const url = process.env.REFDATA_TEST_MSSQL;
if (url) {
  const tedious = require('tedious');
  const batch = (database, sql) => {
    const u = new URL(url);
    const conn = new tedious.Connection({
      server: u.hostname,
      authentication: {
        type: 'default',
        options: { userName: decodeURIComponent(u.username), password: decodeURIComponent(u.password) },
      },
      options: {
        port: Number(u.port || 1433),
        database,
        encrypt: u.searchParams.get('encrypt') === 'true',
        trustServerCertificate: true,
      },
    });
    return new Promise((resolve, reject) => {
      conn.on('connect', (err) => {
        if (err) return reject(err);
        const rows = [];
        const request = new tedious.Request(sql, (e) => {
          conn.close();
          if (e) reject(e);
          else resolve(rows);
        });
        request.on('row', (cols) => rows.push(Object.fromEntries(cols.map((c) => [c.metadata.colName, c.value]))));
        conn.execSqlBatch(request);
      });
      conn.connect();
    });
  };
  let database = '';
  await runDialect(
    'mssql ',
    async () => {
      database = `refdata_snapbench_${randomBytes(4).toString('hex')}`;
      await batch('master', `CREATE DATABASE [${database}];`);
      const u = new URL(url);
      u.pathname = `/${database}`;
      const name = database;
      return { db: await openDatabase(u.toString()), cleanup: () => batch('master', `DROP DATABASE [${name}];`) };
    },
    async (_db, snapshot) => {
      // Babelfish keeps schema bkp of database D as PostgreSQL schema D_bkp, names in lower case; SQL Server answers from partition stats.
      const [engine] = await batch(database, "SELECT CAST(SERVERPROPERTY('Babelfish') AS int) AS b;");
      const quoted = snapshot.snapshot.replaceAll("'", "''").replaceAll('"', '""');
      const sql =
        engine?.b === 1
          ? `SELECT pg_total_relation_size('${database}_bkp."${quoted.toLowerCase()}"') AS b;`
          : `SELECT SUM(used_page_count) * 8192 AS b FROM sys.dm_db_partition_stats WHERE object_id = OBJECT_ID(N'[bkp].[${snapshot.snapshot.replaceAll(']', ']]').replaceAll("'", "''")}]');`;
      const [r] = await batch(database, sql);
      const [n] = await batch(
        database,
        `SELECT COUNT_BIG(*) AS n FROM [bkp].[${snapshot.snapshot.replaceAll(']', ']]')}];`,
      );
      return { bytes: Number(r?.b ?? 0), stored: Number(n?.n ?? 0) };
    },
  );
}
