#!/usr/bin/env node
// Prints line coverage per package from vitest's json-summary report and fails when a package
// is below the bar (85% of lines). Run after `vitest run --coverage`.
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const MIN = Number(process.env.COVERAGE_MIN_LINES ?? 85);
const root = resolve(import.meta.dirname, '..');
const summary = JSON.parse(readFileSync(resolve(root, 'coverage/coverage-summary.json'), 'utf8'));
const byPackage = new Map();
for (const [file, data] of Object.entries(summary)) {
  if (file === 'total') continue;
  const match = /^(packages|apps)\/([^/]+)\//.exec(relative(root, file));
  if (!match) continue;
  const key = `${match[1]}/${match[2]}`;
  const acc = byPackage.get(key) ?? { covered: 0, total: 0 };
  acc.covered += data.lines.covered;
  acc.total += data.lines.total;
  byPackage.set(key, acc);
}
let failed = false;
console.log('line coverage by package (bar: %d%%)', MIN);
for (const [name, { covered, total }] of [...byPackage].sort()) {
  const pct = total === 0 ? 100 : (100 * covered) / total;
  const ok = pct >= MIN;
  failed ||= !ok;
  console.log(
    `  ${ok ? 'ok  ' : 'LOW '} ${name.padEnd(18)} ${pct.toFixed(1).padStart(5)}%  (${covered}/${total} lines)`,
  );
}
if (failed) {
  console.error(`a package is below ${MIN}% line coverage`);
  process.exit(1);
}
