/**
 * Writes a deterministic mixed-type CSV for the ingest benchmark: 10 columns (integers, leading-zero
 * codes, quoted text with commas and doubled quotes, decimals, booleans, dates, timestamps).
 * Usage: node bench/ingest/generate.mjs OUT.csv ROWS
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/** Mulberry32: a small deterministic PRNG so every run measures the same bytes. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'Zürich',
  'Åland',
  "Côte d'Ivoire",
  'São Paulo',
  'Kraków',
  'east',
  'west',
  'north',
];
const pad = (n, w) => String(n).padStart(w, '0');

/** Writes `rows` data rows (plus a header) to `path`; resolves with the bytes written. */
export async function generate(path, rows, seed = 42) {
  const rnd = prng(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  out.write('id,code,name,amount,rate,active,valid_from,updated_at,quantity,note\n');
  let buf = '';
  let bytes = 0;
  for (let i = 1; i <= rows; i++) {
    const w1 = WORDS[Math.floor(rnd() * WORDS.length)];
    const w2 = WORDS[Math.floor(rnd() * WORDS.length)];
    const r = rnd();
    const name = r < 0.2 ? `"${w1}, ${w2}"` : r < 0.3 ? `"${w1} ""${w2}"""` : `${w1} ${w2}`;
    const amount = `${Math.floor(rnd() * 1_000_000)}.${pad(Math.floor(rnd() * 100), 2)}`;
    const rate = `${Math.floor(rnd() * 10)}.${pad(Math.floor(rnd() * 1_000_000), 6)}`;
    const active = rnd() < 0.5 ? 'true' : 'false';
    const day = 1 + Math.floor(rnd() * 28);
    const month = 1 + Math.floor(rnd() * 12);
    const year = 1990 + Math.floor(rnd() * 35);
    const date = `${year}-${pad(month, 2)}-${pad(day, 2)}`;
    const ts = `${date}T${pad(Math.floor(rnd() * 24), 2)}:${pad(Math.floor(rnd() * 60), 2)}:${pad(Math.floor(rnd() * 60), 2)}Z`;
    const qty = Math.floor(rnd() * 100_000);
    const note = rnd() < 0.5 ? `"note ${i}, ${w2}"` : `plain ${w1}`;
    buf += `${i},${pad(i % 100000, 6)},${name},${amount},${rate},${active},${date},${ts},${qty},${note}\n`;
    if (buf.length > 1 << 16) {
      bytes += Buffer.byteLength(buf);
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += Buffer.byteLength(buf);
  out.end(buf);
  await once(out, 'finish');
  return bytes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, rows] = process.argv.slice(2);
  if (!path || !rows) {
    process.stderr.write('usage: node bench/ingest/generate.mjs OUT.csv ROWS\n');
    process.exit(2);
  }
  const bytes = await generate(path, Number(rows));
  process.stdout.write(`${path}: ${rows} rows, ${bytes} bytes\n`);
}
