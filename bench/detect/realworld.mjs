// The real-world benchmark for @refdata/detect: 190 messy CSV files from public repositories and
// the W3C CSV on the Web tests with manually annotated dialects (../shared/corpus/realworld).
// Converts every file with `refdata convert --out-dir` (auto-detection only), scores the output
// with ../shared/bench/realworld_score.py (record F1 >= 0.99 per file), and sorts every file
// that is not right into a failure class by comparing what detection decided with truth.json
// (read only after the run, for the table).
//
// usage: node bench/detect/realworld.mjs [--corpus DIR] [--out DIR] [--direct]

import { isUtf8 } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchSetup, convertCorpus } from './convert-corpus.mjs';

const { root, corpus, scorer, outDir, detectDist, direct } = benchSetup('realworld', 'Real-world');
const names = readdirSync(join(corpus, 'csv')).sort();
const inputs = names.map((n) => join(corpus, 'csv', n));

// 1. Convert.
const run = convertCorpus(root, inputs, outDir, { direct });
console.log(
  `converted ${names.length} real-world files via ${run.via} in ${run.seconds.toFixed(1)} s (exit ${run.status}) → ${outDir}`,
);

// 2. Score (--list: every file below 0.99 with its score).
const score = spawnSync('python3', [scorer, corpus, outDir, '--list'], { encoding: 'utf8' });
if (score.status !== 0) {
  console.error(score.stderr);
  process.exit(1);
}
const lines = score.stdout.trim().split('\n');
const failures = [];
for (const line of lines) {
  const m = /^(\d\.\d{3}) {2}(\S+) {2}/.exec(line);
  if (m) failures.push({ score: Number(m[1]), name: m[2] });
  else console.log(line);
}

// 3. Failure classes: what detection decided against the annotation (after the run).
const truth = JSON.parse(readFileSync(join(corpus, 'truth.json'), 'utf8'));
const DELIMITERS = { comma: ',', semicolon: ';', tab: '\t', space: ' ', vslash: '|', nsign: '#', colon: ':' };
const ENCODINGS = {
  utf8: ['utf-8'],
  ansi: ['windows-1252', 'iso-8859-1'],
  utf16: ['utf-16le', 'utf-16be'],
  'windows-1251': ['windows-1251'],
};
// Rows of the annotated reading (the scorer's own parse) whose width is not the table's: a table
// loader rejects such rows, so past 1 % (after up to 10 leading rows, which the scorer may drop) a file cannot
// reach record F1 0.99 however well it is detected.
const raggedShare = new Map();
if (failures.length > 0) {
  const probe = spawnSync(
    'python3',
    [
      '-c',
      `import sys, json, os
sys.path.insert(0, os.path.dirname(sys.argv[1]))
import realworld_score as s
from collections import Counter
corpus = sys.argv[2]
truth = json.load(open(os.path.join(corpus, 'truth.json')))
out = {}
for name in sys.argv[3:]:
    rows = s.expected(os.path.join(corpus, 'csv', name), truth[name])
    if not rows:
        continue
    width = Counter(len(r) for r in rows).most_common(1)[0][0]
    first = min(10, next(i for i, r in enumerate(rows) if len(r) == width))
    body = rows[first:]
    out[name] = sum(1 for r in body if len(r) != width) / len(body)
print(json.dumps(out))`,
      scorer,
      corpus,
      ...failures.map((f) => f.name),
    ],
    { encoding: 'utf8', maxBuffer: 16 << 20 },
  );
  if (probe.status === 0)
    for (const [name, share] of Object.entries(JSON.parse(probe.stdout))) raggedShare.set(name, share);
}

const { detectFormat } = await import(detectDist);
const classes = new Map();
for (const f of failures) {
  const t = truth[f.name];
  const reported = run.perFile.get(f.name);
  let cls;
  let got;
  const ragged = raggedShare.get(f.name) ?? 0;
  if (ragged > 0.01) {
    cls = 'ragged in the annotated reading (rows of another width, which a table loader rejects)';
  } else {
    try {
      got = await detectFormat(join(corpus, 'csv', f.name));
    } catch (err) {
      cls = `refused (${err.code ?? 'error'})`;
    }
  }
  if (got && cls === undefined) {
    const delimiter = got.delimiter.value.trim() === '' ? got.delimiter.value : got.delimiter.value.trim();
    const bytes = readFileSync(join(corpus, 'csv', f.name));
    // The scorer reads a file annotated utf8 that is not valid UTF-8 as Latin-1.
    const encodingOk =
      (ENCODINGS[t.encoding]?.includes(got.encoding.value) ?? true) ||
      (t.encoding === 'utf8' && !isUtf8(bytes) && ENCODINGS.ansi.includes(got.encoding.value));
    if (!encodingOk) cls = `encoding (${got.encoding.value} for ${t.encoding})`;
    else if (delimiter !== DELIMITERS[t.delimiter]) cls = 'delimiter';
    else if (t.quote === 'doublequote' && got.quote.value !== '"' && bytes.includes(0x22)) cls = 'quote';
    else if (t.escape === 'backslash' && got.escape.value !== '\\') cls = 'escape';
    else if (reported?.rejected > 0) cls = 'rows of another width rejected';
    else if (got.footerLines > 0 || got.warnings.some((w) => /second table|another table|header repeats/.test(w)))
      cls = 'notes or a second table cut';
    else if (got.preambleLines.value > 0 || got.headerRows.value !== 1) cls = 'preamble or header rows';
    else cls = 'cells differ';
  }
  const list = classes.get(cls) ?? [];
  list.push(`${f.name} (${f.score.toFixed(3)}${ragged > 0.01 ? `, ${Math.round(100 * ragged)}% ragged` : ''})`);
  classes.set(cls, list);
}
console.log(`failure classes (${failures.length} files below record F1 0.99):`);
for (const [cls, list] of [...classes].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`  ${String(list.length).padStart(3)}  ${cls}: ${list.join(', ')}`);
}
