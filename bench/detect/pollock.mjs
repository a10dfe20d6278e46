// The Pollock benchmark (VLDB 2023) for @refdata/detect: converts every polluted file with
// `refdata convert --out-dir` (or, when the CLI is not built, bench/detect/convert-direct.mjs),
// scores the output with ../shared/bench/pollock_score.py and reports dialect accuracy against
// parameters/*.json. Auto-detection only: nothing here reads clean/ or parameters/ before scoring.
//
// usage: node bench/detect/pollock.mjs [--corpus DIR] [--out DIR] [--direct]
// (`pnpm bench:detect` runs it and then bench/detect/realworld.mjs)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchSetup, convertCorpus } from './convert-corpus.mjs';

const { root, corpus, scorer, outDir, detectDist, direct } = benchSetup('pollock', 'Pollock');
const names = readdirSync(join(corpus, 'csv'))
  .filter((n) => n.toLowerCase().endsWith('.csv'))
  .sort();
const inputs = names.map((n) => join(corpus, 'csv', n));

// 1. Convert through the CLI when it exists, else directly.
const run = convertCorpus(root, inputs, outDir, { direct });
const stderrLines = run.stderr.trim().split('\n').filter(Boolean);
console.log(
  `converted ${names.length} files via ${run.via} in ${run.seconds.toFixed(1)} s (exit ${run.status}) → ${outDir}`,
);
if (stderrLines.length > 0) console.log(`  last message: ${stderrLines.at(-1)}`);

// 2. Score.
const perFile = join(outDir, '..', `${outDir.split('/').pop()}-per-file.csv`);
const score = spawnSync('python3', [scorer, corpus, outDir, '--csv', perFile], { encoding: 'utf8' });
if (score.status !== 0) {
  console.error(score.stderr);
  process.exit(1);
}
console.log(score.stdout.trim());
console.log(`per-file scores: ${perFile}`);

// 3. Dialect accuracy against parameters/*.json (after the run; detection itself never reads them).
const { detectFormat } = await import(detectDist);
const fields = ['delimiter', 'quotechar', 'escapechar', 'header_lines', 'preamble_lines'];
const right = Object.fromEntries(fields.map((f) => [f, 0]));
let all = 0;
let total = 0;
const misses = Object.fromEntries(fields.map((f) => [f, []]));
for (const name of names) {
  const paramsPath = join(corpus, 'parameters', `${name}_parameters.json`);
  if (!existsSync(paramsPath)) continue;
  const expected = JSON.parse(readFileSync(paramsPath, 'utf8'));
  total += 1;
  let got;
  try {
    const f = await detectFormat(join(corpus, 'csv', name));
    got = {
      delimiter: f.delimiter.value,
      quotechar: f.quote.value ?? '',
      escapechar: f.escape.value ?? '',
      header_lines: f.headerRows.value,
      preamble_lines: f.preambleLines.value,
    };
  } catch {
    got = {};
  }
  let every = true;
  for (const field of fields) {
    if (got[field] === expected[field]) right[field] += 1;
    else {
      every = false;
      misses[field].push(`${name} (${JSON.stringify(got[field])} vs ${JSON.stringify(expected[field])})`);
    }
  }
  if (every) all += 1;
}
console.log(`dialect accuracy over ${total} files:`);
for (const field of fields) {
  console.log(
    `  ${field.padEnd(15)} ${((100 * right[field]) / total).toFixed(2)}%  (${right[field]}/${total})${misses[field].length ? `  e.g. ${misses[field].slice(0, 3).join('; ')}` : ''}`,
  );
}
console.log(`  ${'all five'.padEnd(15)} ${((100 * all) / total).toFixed(2)}%  (${all}/${total})`);
