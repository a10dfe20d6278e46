// Load throughput into a live SQL Server-compatible engine (Babelfish in this repository's CI), in
// one run, N rows × 10 mixed columns:
//   (a) refdata: openDatabase + beginLoad/write/validate/commit (bulk staging, server-side
//       conversion, swap) — the path `refdata ingest --db mssql://…` takes;
//   (b) baseline: a raw tedious bulk load of the same rows as text, all NVARCHAR, nothing else;
//   (c) the seed's way: 990-row multi-row INSERT statements with literal values;
//   (d) 990-row parameterised INSERTs (capped at 2,098 parameters: 190 rows of 11).
// Prints rows/s for each and the ratios a/b and a/c, and the peak RSS of this process.
// Usage: pnpm --filter @refdata/db build &&
//   REFDATA_TEST_MSSQL=$(../shared/mssql/babelfish start) node packages/db/bench/mssql-load.mjs [rows]
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { openDatabase } from '../dist/index.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const url = process.env.REFDATA_TEST_MSSQL;
if (!url) {
  process.stderr.write('Set REFDATA_TEST_MSSQL to the engine URL (../shared/mssql/babelfish start prints it).\n');
  process.exit(2);
}
const require = createRequire(import.meta.url);
const tedious = require('tedious');

const columns = [
  { name: 'id', type: { kind: 'bigint' }, nullable: false },
  { name: 'code', type: { kind: 'text', maxLength: 10 }, nullable: false },
  { name: 'name', type: { kind: 'text', maxLength: 100 }, nullable: true },
  { name: 'amount', type: { kind: 'decimal', precision: 18, scale: 4 }, nullable: true },
  { name: 'qty', type: { kind: 'int' }, nullable: true },
  { name: 'active', type: { kind: 'boolean' }, nullable: true },
  { name: 'day', type: { kind: 'date' }, nullable: true },
  { name: 'at', type: { kind: 'datetime', offset: false, fractionDigits: 3 }, nullable: true },
  { name: 'note', type: { kind: 'text', maxLength: 100 }, nullable: true },
  { name: 'rate', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
];
const makeRow = (i) => [
  BigInt(i),
  `C${i % 100000}`,
  `Name "quoted", number ${i}`,
  `${i}.${String(i % 10000).padStart(4, '0')}`,
  i % 100000,
  i % 2 === 0,
  '2024-02-29',
  '2024-02-29T23:59:59.999',
  i % 7 === 0 ? null : 'some free text, with commas',
  '12345678901234567890.1234567890',
];
const asText = (v) => (v === null ? null : typeof v === 'boolean' ? (v ? '1' : '0') : String(v));

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

function connect() {
  const u = new URL(url);
  const conn = new tedious.Connection({
    server: u.hostname,
    authentication: {
      type: 'default',
      options: {
        userName: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password) || process.env.REFDATA_TEST_MSSQL_PASSWORD,
      },
    },
    options: {
      port: Number(u.port || 1433),
      database: u.pathname.slice(1) || 'master',
      encrypt: u.searchParams.get('encrypt') !== 'false',
      trustServerCertificate: true,
      requestTimeout: 0,
    },
  });
  return new Promise((resolve, reject) => conn.connect((err) => (err ? reject(err) : resolve(conn))));
}
const exec = (conn, sql, params = []) =>
  new Promise((resolve, reject) => {
    const r = new tedious.Request(sql, (err) => (err ? reject(err) : resolve()));
    for (const p of params) r.addParameter(p.name, p.type, p.value, p.options);
    conn.execSql(r);
  });
const table = (prefix) => `${prefix}_${randomBytes(3).toString('hex')}`;
const textTable = (name) =>
  `CREATE TABLE [dbo].[${name}] (${columns.map((_c, i) => `[c${i}] NVARCHAR(100) NULL`).join(', ')});`;

async function refdata() {
  const db = await openDatabase(url);
  await db.migrate();
  const name = table('bench_a');
  const t0 = performance.now();
  const session = await db.beginLoad({ table: name, columns });
  for (let done = 0, line = 2; done < rows; done += 10_000) {
    const n = Math.min(10_000, rows - done);
    const out = new Array(n);
    for (let j = 0; j < n; j++, line++) out[j] = { line, values: makeRow(line) };
    await session.write(out);
  }
  const outcome = await session.commit();
  const ms = performance.now() - t0;
  if (outcome.status !== 'applied' || outcome.rowsLoaded !== rows)
    throw new Error(`refdata load: ${JSON.stringify(outcome)}`);
  await db.close();
  return ms;
}

async function rawBulk() {
  const conn = await connect();
  const name = table('bench_b');
  await exec(conn, textTable(name));
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const bulk = conn.newBulkLoad(`[dbo].[${name}]`, { keepNulls: true }, (err, n) =>
      err ? reject(err) : n === rows ? resolve() : reject(new Error(`bulk loaded ${n}`)),
    );
    bulk.setTimeout(0);
    for (let i = 0; i < columns.length; i++) {
      bulk.addColumn(`c${i}`, tedious.TYPES.NVarChar, { length: 100, nullable: true });
    }
    function* gen() {
      for (let i = 2; i < rows + 2; i++) yield makeRow(i).map(asText);
    }
    conn.execBulkLoad(bulk, gen());
  });
  const ms = performance.now() - t0;
  await exec(conn, `DROP TABLE [dbo].[${name}];`);
  conn.close();
  return ms;
}

const literal = (v) => (v === null ? 'NULL' : `N'${String(v).replaceAll("'", "''")}'`);

async function literalInserts() {
  const conn = await connect();
  const name = table('bench_c');
  await exec(conn, textTable(name));
  const t0 = performance.now();
  for (let done = 0, i = 2; done < rows; done += 990) {
    const n = Math.min(990, rows - done);
    const tuples = [];
    for (let j = 0; j < n; j++, i++) tuples.push(`(${makeRow(i).map(asText).map(literal).join(', ')})`);
    await exec(conn, `INSERT INTO [dbo].[${name}] VALUES ${tuples.join(', ')};`);
  }
  const ms = performance.now() - t0;
  await exec(conn, `DROP TABLE [dbo].[${name}];`);
  conn.close();
  return ms;
}

async function parameterisedInserts() {
  const conn = await connect();
  const name = table('bench_d');
  await exec(conn, textTable(name));
  const per = Math.min(990, Math.floor(2098 / columns.length));
  const t0 = performance.now();
  for (let done = 0, i = 2; done < rows; done += per) {
    const n = Math.min(per, rows - done);
    const tuples = [];
    const params = [];
    for (let j = 0; j < n; j++, i++) {
      const names = makeRow(i).map((v, c) => {
        const p = `p${j}_${c}`;
        params.push({ name: p, type: tedious.TYPES.NVarChar, value: asText(v), options: { length: 100 } });
        return `@${p}`;
      });
      tuples.push(`(${names.join(', ')})`);
    }
    await exec(conn, `INSERT INTO [dbo].[${name}] VALUES ${tuples.join(', ')};`, params);
  }
  const ms = performance.now() - t0;
  await exec(conn, `DROP TABLE [dbo].[${name}];`);
  conn.close();
  return ms;
}

const perSec = (ms) => Math.round(rows / (ms / 1000));
const a = await refdata();
const b = await rawBulk();
const c = await literalInserts();
const d = await parameterisedInserts();
clearInterval(sampler);
process.stdout.write(
  `${JSON.stringify(
    {
      rows,
      rowsPerSec: { a_refdata: perSec(a), b_rawBulkNvarchar: perSec(b), c_literal990: perSec(c), d_param: perSec(d) },
      seconds: {
        a: +(a / 1000).toFixed(1),
        b: +(b / 1000).toFixed(1),
        c: +(c / 1000).toFixed(1),
        d: +(d / 1000).toFixed(1),
      },
      ratios: { a_over_b: +(b / a).toFixed(2), a_over_c: +(c / a).toFixed(2), a_over_d: +(d / a).toFixed(2) },
      peakRssMB: Math.round(peakRss / 2 ** 20),
    },
    null,
    2,
  )}\n`,
);
