// (g) The write floor: better-sqlite3 alone inserting this file's rows, already parsed and typed
// in memory, the fastest way we know (16 KiB pages, WAL, 100-row prepared INSERTs with spread
// arguments, 10,000-row transactions, the line as the rowid, like our staging table). Only the
// inserts and the final checkpoint are timed: no reading, no parsing, no checks. Every loader that
// writes through better-sqlite3 on one thread spends at least this long, however fast its parser.
// Usage: node sqlite-write-floor.mjs FILE DB
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../packages/db/package.json', import.meta.url));
const Database = require('better-sqlite3');
const Papa = require(
  createRequire(new URL('../../../packages/ingest/package.json', import.meta.url)).resolve('papaparse'),
);

const [file, dbPath] = process.argv.slice(2);
const parsed = Papa.parse(readFileSync(file, 'utf8'), { skipEmptyLines: true }).data;
parsed.shift(); // the header
const PER = 100;
const TX_ROWS = 10_000;
const WIDTH = 11; // the line plus 10 columns
const chunks = [];
for (let r = 0; r < parsed.length; r += PER) {
  const end = Math.min(parsed.length, r + PER);
  const chunk = new Array((end - r) * WIDTH);
  let p = 0;
  for (let i = r; i < end; i++) {
    const v = parsed[i];
    chunk[p++] = i + 2;
    chunk[p++] = Number(v[0]);
    chunk[p++] = v[1];
    chunk[p++] = v[2];
    chunk[p++] = v[3];
    chunk[p++] = v[4];
    chunk[p++] = v[5] === 'true' ? 1 : 0;
    chunk[p++] = v[6];
    chunk[p++] = v[7];
    chunk[p++] = Number(v[8]);
    chunk[p++] = v[9];
  }
  chunks.push(chunk);
}
parsed.length = 0;

for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
const db = new Database(dbPath);
db.pragma('page_size = 16384');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('cache_size = -8192');
db.exec(
  'CREATE TABLE bench (id INTEGER, code TEXT, name TEXT, amount TEXT, rate TEXT, active INTEGER, valid_from TEXT, updated_at TEXT, quantity INTEGER, note TEXT)',
);
const placeholders = `(${new Array(WIDTH).fill('?').join(',')})`;
const statements = new Map();
const insert = (rows) => {
  let stmt = statements.get(rows);
  if (stmt === undefined) {
    stmt = db.prepare(
      `INSERT INTO bench (rowid, id, code, name, amount, rate, active, valid_from, updated_at, quantity, note) VALUES ${new Array(rows).fill(placeholders).join(',')}`,
    );
    statements.set(rows, stmt);
  }
  return stmt;
};

const started = performance.now();
const cpuBefore = process.cpuUsage();
const perTx = TX_ROWS / PER;
for (let c = 0; c < chunks.length; c += perTx) {
  db.exec('BEGIN IMMEDIATE');
  for (const chunk of chunks.slice(c, c + perTx)) insert(chunk.length / WIDTH).run(...chunk);
  db.exec('COMMIT');
}
db.pragma('wal_checkpoint(TRUNCATE)');
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const rows = db.prepare('SELECT count(*) FROM bench').pluck().get();
db.close();
process.stdout.write(
  `${JSON.stringify({ rows, seconds, cpu: (cpu.user + cpu.system) / 1e6, maxRssKb: process.resourceUsage().maxRSS })}\n`,
);
