// (a) through the built package: createIngestor().ingest(FILE) into an embedded SQLite database.
// Usage: node ours.mjs FILE DB_PATH — prints one JSON line.
import { createRequire } from 'node:module';

const [file, dbPath] = process.argv.slice(2);
const require = createRequire(new URL('../../../packages/ingest/package.json', import.meta.url));
const { openDatabase } = await import(require.resolve('@refdata/db'));
const { createIngestor } = await import(new URL('../../../packages/ingest/dist/index.js', import.meta.url).href);

const started = performance.now();
const db = await openDatabase(`sqlite:${dbPath}`);
await db.migrate();
const ingestor = createIngestor({ db, parseInWorker: process.env.BENCH_INLINE !== '1' });
const job = ingestor.ingest(file, { table: 'bench', skipDuplicates: false, force: true });
for await (const p of job) {
  if (!p.done) process.stderr.write(`  ${p.rowsRead} rows, ${p.rowsPerSecond}/s, ETA ${p.etaSeconds ?? '?'}s\n`);
}
const result = await job;
await ingestor.close();
await db.close();
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `${JSON.stringify({ rows: result.rowsLoaded, seconds, worker: ingestor.parsesInWorker, maxRssKb: process.resourceUsage().maxRSS })}\n`,
);
