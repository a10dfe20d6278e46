// (f) papaparse parsing the file and discarding rows. Usage: node parse-papaparse.mjs FILE
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../packages/ingest/package.json', import.meta.url));
const Papa = require('papaparse');
const started = performance.now();
let rows = -1; // the header row
await new Promise((resolve, reject) => {
  createReadStream(process.argv[2], { highWaterMark: 1 << 20 })
    .pipe(Papa.parse(Papa.NODE_STREAM_INPUT, { skipEmptyLines: true }))
    .on('data', () => {
      rows++;
    })
    .on('end', resolve)
    .on('error', reject);
});
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ rows, seconds, maxRssKb: process.resourceUsage().maxRSS })}\n`);
