// Measures staging write + commit throughput of the SQLite dialect: N rows × 10 mixed columns.
// Usage: pnpm --filter @refdata/db build && node packages/db/bench/sqlite-write.mjs [rows] [batch]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../dist/index.js';

const rows = Number(process.argv[2] ?? 1_000_000);
const batch = Number(process.argv[3] ?? 990);
const dir = mkdtempSync(join(tmpdir(), 'refdata-bench-'));
const columns = [
  { name: 'id', type: { kind: 'bigint' }, nullable: false },
  { name: 'code', type: { kind: 'text', maxLength: 10 }, nullable: false },
  { name: 'name', type: { kind: 'text' }, nullable: true },
  { name: 'amount', type: { kind: 'decimal', precision: 18, scale: 4 }, nullable: true },
  { name: 'qty', type: { kind: 'int' }, nullable: true },
  { name: 'active', type: { kind: 'boolean' }, nullable: true },
  { name: 'day', type: { kind: 'date' }, nullable: true },
  { name: 'at', type: { kind: 'datetime', offset: false, fractionDigits: 3 }, nullable: true },
  { name: 'note', type: { kind: 'text' }, nullable: true },
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
try {
  const db = await openDatabase(`sqlite:${join(dir, 'bench.db')}`);
  await db.migrate();
  const t0 = performance.now();
  const session = await db.beginLoad({ table: 'bench', columns });
  let line = 2;
  let genMs = 0;
  for (let done = 0; done < rows; done += batch) {
    const g = performance.now();
    const n = Math.min(batch, rows - done);
    const out = new Array(n);
    for (let j = 0; j < n; j++) out[j] = { line: line, values: makeRow(line++) };
    genMs += performance.now() - g;
    await session.write(out);
  }
  const t1 = performance.now();
  await session.validate();
  const outcome = await session.commit();
  const t2 = performance.now();
  await db.close();
  const writeMs = t1 - t0 - genMs;
  process.stdout.write(
    `${JSON.stringify({
      rows,
      batch,
      writeRowsPerSec: Math.round(rows / (writeMs / 1000)),
      writeMs: Math.round(writeMs),
      commitMs: Math.round(t2 - t1),
      generateMs: Math.round(genMs),
      rowsLoaded: outcome.rowsLoaded,
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    })}\n`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
