// readRecords throughput against a plain fast-csv parse-and-discard of the same file
// (1,000,000 rows × 10 columns, generated under /tmp). Runs alternate; medians are reported.
// usage: node bench/detect/read-records.mjs [--rows N] [--runs N] [--file PATH]

import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const rows = Number(opt('--rows', 1_000_000));
const runs = Number(opt('--runs', 3));
const file = opt('--file', join(tmpdir(), `refdata-bench-${rows}x10.csv`));

const require = createRequire(new URL('../../packages/detect/package.json', import.meta.url));
const { parse } = require('@fast-csv/parse');
const { detectFormat, readRecords } = await import('../../packages/detect/dist/index.js');

async function generate(path, n) {
  const out = createWriteStream(path);
  let buf = 'id,code,name,amount,date,flag,qty,ratio,city,note\n';
  for (let i = 0; i < n; i += 1) {
    const code = String(i % 1000).padStart(3, '0');
    buf += `${i},C${code},Name ${i},${(i * 1.37).toFixed(2)},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 ? 'true' : 'false'},${i % 97},${(i / 7).toFixed(4)},"City, ${i % 50}",plain note ${i % 13}\n`;
    if (buf.length > 1 << 20) {
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

if (!existsSync(file)) await generate(file, rows);
const size = statSync(file).size;

async function fastCsv() {
  let n = 0;
  await new Promise((resolve, reject) => {
    createReadStream(file, { highWaterMark: 1 << 16 })
      .pipe(parse({ headers: false }))
      .on('data', () => {
        n += 1;
      })
      .on('error', reject)
      .on('end', resolve);
  });
  return n - 1; // the header row
}

async function ours() {
  const format = await detectFormat(file);
  let n = 0;
  for await (const _ of readRecords(createReadStream(file, { highWaterMark: 1 << 16 }), format)) n += 1;
  return n;
}

const times = { fastCsv: [], readRecords: [] };
for (let r = 0; r < runs; r += 1) {
  for (const [name, fn] of [
    ['fastCsv', fastCsv],
    ['readRecords', ours],
  ]) {
    const t0 = performance.now();
    const n = await fn();
    times[name].push(performance.now() - t0);
    if (n !== rows) throw new Error(`${name} read ${n} rows, expected ${rows}`);
  }
}
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fc = median(times.fastCsv);
const rr = median(times.readRecords);
const mb = size / 1e6;
console.log(`file: ${file} (${rows} rows × 10 columns, ${mb.toFixed(1)} MB), ${runs} alternating runs, medians:`);
console.log(`  fast-csv parse-and-discard : ${(fc / 1000).toFixed(2)} s  (${(mb / (fc / 1000)).toFixed(1)} MB/s)`);
console.log(`  readRecords (detect + read): ${(rr / 1000).toFixed(2)} s  (${(mb / (rr / 1000)).toFixed(1)} MB/s)`);
console.log(`  speed ratio readRecords / fast-csv: ${(fc / rr).toFixed(2)}×`);
