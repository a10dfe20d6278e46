// Converts inputs with the built @refdata/detect package directly (the fallback of
// bench/detect/pollock.mjs when the watcher CLI is not built).
// usage: node bench/detect/convert-direct.mjs --out-dir DIR INPUT...
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { convertFile } from '../../packages/detect/dist/index.js';

const args = process.argv.slice(2);
const at = args.indexOf('--out-dir');
if (at < 0 || !args[at + 1]) {
  console.error('usage: convert-direct.mjs --out-dir DIR INPUT...');
  process.exit(2);
}
const outDir = args[at + 1];
const inputs = args.filter((_, i) => i !== at && i !== at + 1);
await mkdir(outDir, { recursive: true });
let failed = 0;
let rejected = 0;
for (const input of inputs) {
  const output = join(outDir, basename(input));
  try {
    const result = await convertFile(input, output);
    rejected += result.rowsRejected;
  } catch (err) {
    failed += 1;
    await writeFile(output, 'Application Error\n');
    console.error(`${basename(input)}: ${err.code ?? 'ERROR'} ${err.message}`);
  }
}
console.error(
  `converted ${inputs.length - failed} of ${inputs.length} inputs (${failed} failed, ${rejected} rows rejected)`,
);
