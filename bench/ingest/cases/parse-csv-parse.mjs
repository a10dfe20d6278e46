// (f) csv-parse parsing the file and discarding rows. Usage: node parse-csv-parse.mjs FILE
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../../packages/ingest/package.json', import.meta.url));
const { parse } = await import(require.resolve('csv-parse'));
const started = performance.now();
let rows = 0;
const parser = createReadStream(process.argv[2], { highWaterMark: 1 << 20 }).pipe(parse({ from_line: 2 }));
for await (const _record of parser) rows++;
const seconds = (performance.now() - started) / 1000;
process.stdout.write(`${JSON.stringify({ rows, seconds, maxRssKb: process.resourceUsage().maxRSS })}\n`);
