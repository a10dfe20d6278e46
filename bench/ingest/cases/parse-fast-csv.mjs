// (b) fast-csv parsing the file and discarding rows. Usage: node parse-fast-csv.mjs FILE
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../packages/ingest/package.json', import.meta.url));
const { parseStream } = await import(require.resolve('@fast-csv/parse'));
const started = performance.now();
let rows = 0;
await new Promise((resolve, reject) => {
  parseStream(createReadStream(process.argv[2], { highWaterMark: 1 << 20 }), { headers: true })
    .on('data', () => {
      rows++;
    })
    .on('end', resolve)
    .on('error', reject);
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ rows, seconds, maxRssKb: process.resourceUsage().maxRSS })}\n`);
