// Detection cost does not grow with file size: detects a generated 1 MB and 1 GB file (same
// rows), and compares detection with one full readRecords pass over each file.
// Files are generated under the OS temp folder and removed afterwards (keep them with --keep).
// usage: node bench/detect/scaling.mjs [--big-mb 1024] [--runs 9] [--keep]

import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { detectFormat, readRecords } = await import('../../packages/detect/dist/index.js');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const bigMb = Number(opt('--big-mb', 1024));
const runs = Number(opt('--runs', 9));
const keep = args.includes('--keep');

function row(i) {
  const code = String(i % 1000).padStart(3, '0');
  return `${i},C${code},"Name ${i}, the ${i % 7}th",${(i * 1.37).toFixed(2)},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 ? 'true' : 'false'},${(i / 7).toFixed(4)},note ${i % 13}\n`;
}

async function generate(path, bytes) {
  if (existsSync(path) && statSync(path).size >= bytes) return;
  const out = createWriteStream(path);
  let buf = 'id,code,name,amount,date,flag,ratio,note\n';
  let written = 0;
  for (let i = 0; written + buf.length < bytes; i += 1) {
    buf += row(i);
    if (buf.length > 1 << 20) {
      written += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  out.end(buf);
  await once(out, 'finish');
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function detectTimes(paths) {
  for (const p of paths) await detectFormat(p); // warm-up
  const times = paths.map(() => []);
  // Alternate the files so a busy machine slows both alike.
  for (let r = 0; r < runs; r += 1) {
    for (let k = 0; k < paths.length; k += 1) {
      const t0 = performance.now();
      await detectFormat(paths[k]);
      times[k].push(performance.now() - t0);
    }
  }
  return times.map(median);
}

async function readTime(path) {
  const format = await detectFormat(path);
  const t0 = performance.now();
  let n = 0;
  for await (const _ of readRecords(createReadStream(path, { highWaterMark: 1 << 16 }), format)) n += 1;
  return { ms: performance.now() - t0, rows: n };
}

const small = join(tmpdir(), 'refdata-scaling-1mb.csv');
const big = join(tmpdir(), `refdata-scaling-${bigMb}mb.csv`);
await generate(small, 1 << 20);
process.stdout.write(`generating ${bigMb} MB file… `);
await generate(big, bigMb * (1 << 20));
console.log('done');

const [dSmall, dBig] = await detectTimes([small, big]);
const rSmall = await readTime(small);
const rBig = await readTime(big);
const mb = (p) => (statSync(p).size / (1 << 20)).toFixed(0);
console.log(
  `detection (median of ${runs}): ${mb(small)} MB file ${dSmall.toFixed(1)} ms, ${mb(big)} MB file ${dBig.toFixed(1)} ms → ratio ${(dBig / dSmall).toFixed(2)}× (target ≤ 2×)`,
);
console.log(
  `full readRecords pass: ${mb(small)} MB ${rSmall.ms.toFixed(0)} ms (${rSmall.rows} rows), ${mb(big)} MB ${(rBig.ms / 1000).toFixed(1)} s (${rBig.rows} rows)`,
);
console.log(
  `detection as a share of one readRecords pass over the ${mb(big)} MB file: ${((100 * dBig) / rBig.ms).toFixed(3)}% (target ≤ 5% of an ingest, which also converts and writes)`,
);
if (!keep) {
  rmSync(small, { force: true });
  rmSync(big, { force: true });
}
