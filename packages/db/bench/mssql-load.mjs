// Load throughput into a live SQL Server-compatible engine (Babelfish in this repository's CI), in
// one run, N rows × 10 mixed columns:
//   (a) refdata: `refdata ingest FILE --db mssql://…` (the built CLI, in its own process) on a
//       generated CSV of the same rows — detection, file tracking, parsing, bulk staging,
//       server-side conversion, commit, audit; wall time from spawn to exit, peak RSS by GNU time;
//   (a_api) the same load through the package API in this process (openDatabase + beginLoad/
//       write/commit in 990-row batches, as the CLI writes them), without parsing or tracking;
//   (b) baseline: a raw tedious bulk load of the same rows as text, all NVARCHAR, nothing else;
//   (c) the seed's way: 990-row multi-row INSERT statements with literal values;
//   (d) parameterised multi-row INSERTs (capped at 2,098 parameters: 190 rows of 11).
// Prints rows/s for each and the ratios a/b and a/c, and peak RSS.
// Usage (builds nothing: run `pnpm build` first):
//   REFDATA_TEST_MSSQL=$(../shared/mssql/babelfish start) pnpm bench:mssql [rows] [--cd-rows N] [--only a,api,b,c,d]
// --cd-rows runs (c) and (d) on fewer rows (they take about an hour at 1,000,000 rows on Babelfish):
// their rows/s are then measured on that many rows, and said so in the output.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]?.startsWith('--')));
const rows = Number(positional[0] ?? 1_000_000);
const cdRows = Math.min(rows, Number(option('--cd-rows', String(rows))));
const only = option('--only', 'a,api,b,c,d').split(',');
const url = process.env.REFDATA_TEST_MSSQL;
if (!url) {
  process.stderr.write(
    'REFDATA_TEST_MSSQL is not set: set it to the engine URL, e.g.\n' +
      '  export REFDATA_TEST_MSSQL=$(../shared/mssql/babelfish start)\n' +
      'then run: pnpm bench:mssql [rows] [--cd-rows N]\n',
  );
  process.exit(2);
}
if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cdRows) || cdRows < 1) {
  process.stderr.write(
    'Usage: pnpm bench:mssql [rows] [--cd-rows N] [--only a,api,b,c,d] (rows: a positive integer)\n',
  );
  process.exit(2);
}
const cli = join(root, 'apps', 'watcher', 'dist', 'cli.js');
const dbDist = join(here, '..', 'dist', 'index.js');
for (const built of [cli, dbDist]) {
  if (!existsSync(built)) {
    process.stderr.write(`${built} is missing: this bench builds nothing; run \`pnpm build\` first.\n`);
    process.exit(2);
  }
}
const { openDatabase } = await import(dbDist);
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

/** A generated CSV of the same rows (header + `rows` lines), as `refdata ingest` reads it. */
async function writeCsv(file) {
  const out = createWriteStream(file);
  const cell = (v) => {
    if (v === null) return '';
    const t = typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
    return /[",\n]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t;
  };
  const write = (text) => (out.write(text) ? undefined : new Promise((resolve) => out.once('drain', resolve)));
  await write(`${columns.map((c) => c.name).join(',')}\n`);
  let chunk = '';
  for (let i = 2; i < rows + 2; i++) {
    chunk += `${makeRow(i).map(cell).join(',')}\n`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}

/** (a): the built CLI in its own process; wall time from spawn to exit, peak RSS by GNU time. */
async function viaCli() {
  const dir = mkdtempSync(join(tmpdir(), 'refdata-bench-mssql-'));
  try {
    const name = table('bench_a');
    const file = join(dir, `${name}.csv`);
    await writeCsv(file);
    const rssFile = join(dir, 'rss');
    const gnuTime = existsSync('/usr/bin/time');
    const argv = [cli, 'ingest', file, '--db', url, '--table', name, '--json'];
    const [cmd, list] = gnuTime
      ? ['/usr/bin/time', ['-f', '%M', '-o', rssFile, process.execPath, ...argv]]
      : [process.execPath, argv];
    const t0 = performance.now();
    const { code, stdout, stderr } = await new Promise((resolve, reject) => {
      const child = spawn(cmd, list, { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    });
    const ms = performance.now() - t0;
    if (code !== 0) throw new Error(`refdata ingest exited ${code}: ${stderr.slice(-2000)}${stdout.slice(-2000)}`);
    const result = JSON.parse(stdout.slice(stdout.indexOf('{')));
    const loaded = JSON.stringify(result).match(/"rowsLoaded":(\d+)/)?.[1];
    if (Number(loaded) !== rows) throw new Error(`refdata ingest loaded ${loaded} rows: ${stdout.slice(0, 2000)}`);
    const rssKb = gnuTime ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : Number.NaN;
    await dropTable(`[ref].[${name}]`);
    return { ms, rssMB: Math.round(rssKb / 1024) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function dropTable(qualifiedName) {
  const conn = await connect();
  await exec(conn, `DROP TABLE IF EXISTS ${qualifiedName};`);
  conn.close();
}

/** (a_api): the package API in this process, 990-row batches as the CLI writes them. */
async function refdata() {
  const db = await openDatabase(url);
  await db.migrate();
  const name = table('bench_a_api');
  const t0 = performance.now();
  const session = await db.beginLoad({ table: name, columns });
  for (let done = 0, line = 2; done < rows; done += 990) {
    const n = Math.min(990, rows - done);
    const out = new Array(n);
    for (let j = 0; j < n; j++, line++) out[j] = { line, values: makeRow(line) };
    await session.write(out);
  }
  const outcome = await session.commit();
  const ms = performance.now() - t0;
  if (outcome.status !== 'applied' || outcome.rowsLoaded !== rows)
    throw new Error(`refdata load: ${JSON.stringify(outcome)}`);
  await db.close();
  await dropTable(`[ref].[${name}]`);
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
  for (let done = 0, i = 2; done < cdRows; done += 990) {
    const n = Math.min(990, cdRows - done);
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
  for (let done = 0, i = 2; done < cdRows; done += per) {
    const n = Math.min(per, cdRows - done);
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

const perSec = (ms, n = rows) => (ms === undefined ? undefined : Math.round(n / (ms / 1000)));
const sec = (ms) => (ms === undefined ? undefined : +(ms / 1000).toFixed(1));
const ratio = (x, y) => (x === undefined || y === undefined ? undefined : +(x / y).toFixed(2));
const run = (key, fn) => (only.includes(key) ? fn() : undefined);
const cliRun = await run('a', viaCli);
const apiMs = await run('api', refdata);
const b = await run('b', rawBulk);
const c = await run('c', literalInserts);
const d = await run('d', parameterisedInserts);
clearInterval(sampler);
const rate = {
  a_refdataIngestCli: perSec(cliRun?.ms),
  a_api: perSec(apiMs),
  b_rawBulkNvarchar: perSec(b),
  c_literal990: perSec(c, cdRows),
  d_param: perSec(d, cdRows),
};
process.stdout.write(
  `${JSON.stringify(
    {
      rows,
      cdRows,
      rowsPerSec: rate,
      seconds: { a: sec(cliRun?.ms), a_api: sec(apiMs), b: sec(b), c: sec(c), d: sec(d) },
      ratios: {
        a_over_b: ratio(rate.a_refdataIngestCli, rate.b_rawBulkNvarchar),
        a_over_c: ratio(rate.a_refdataIngestCli, rate.c_literal990),
        a_over_d: ratio(rate.a_refdataIngestCli, rate.d_param),
        a_api_over_b: ratio(rate.a_api, rate.b_rawBulkNvarchar),
        a_api_over_c: ratio(rate.a_api, rate.c_literal990),
      },
      peakRssMB: { a_cliProcess: cliRun?.rssMB, benchProcess: Math.round(peakRss / 2 ** 20) },
    },
    null,
    2,
  )}\n`,
);
