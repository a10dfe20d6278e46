#!/usr/bin/env node
/**
 * Ingest benchmark (issue 7, "Performance"): one generated 10-column mixed CSV, measured in one
 * run by every contender, each in its own process (wall time from spawn to exit, peak RSS from
 * GNU time, or the process's own report when /usr/bin/time is missing):
 *
 *   (a) ours — `refdata ingest FILE` (built CLI) or the built @refdata/ingest package, into SQLite
 *   (b) fast-csv parsing the file and discarding rows
 *   (c) the sqlite3 command line `.import`
 *   (d) pandas read_csv(chunksize=990) + to_sql into SQLite (the seed's pipeline)
 *   (e) Python csv reader + sqlite3.executemany in one transaction
 *   (f) csv-parse and papaparse parsing the file and discarding rows
 *   (g) the write floor: better-sqlite3 inserting this file's rows already parsed and typed in
 *       memory (only the inserts are timed), what any loader writing through better-sqlite3 on
 *       one thread spends at least
 *
 * Usage: pnpm bench:ingest [--rows N] [--repeat N] [--with-10m] [--only a,b,…] [--via cli|package] [--keep]
 *
 * With --repeat N the cases run N rounds, interleaved, and each reports its best round (the one
 * least disturbed by other work on the machine). CPU seconds (user+sys) are printed beside wall
 * time: on a shared machine they move far less than wall time.
 * Needs: `pnpm build`; apt packages sqlite3, python3-pandas, time. Files go to /tmp, never the repo.
 * Benchmarks print; tests never assert times.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const ROWS = Number(value('--rows', '1000000'));
const ONLY = value('--only', 'a,b,c,d,e,f,g').split(',');
const REPEAT = Math.max(1, Number(value('--repeat', '1')));
const work = process.env.REFDATA_BENCH_DIR ?? join(tmpdir(), 'refdata-bench-ingest');
mkdirSync(work, { recursive: true });
const hasTime = existsSync('/usr/bin/time');
const cliPath = join(root, 'apps', 'watcher', 'dist', 'cli.js');

function cliSupportsIngest() {
  if (!existsSync(cliPath)) return false;
  try {
    const help = execFileSync('node', [cliPath, '--help'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    return /\bingest\b/.test(help);
  } catch {
    return false;
  }
}
const via = value('--via', cliSupportsIngest() ? 'cli' : 'package');

async function ensureFile(rows) {
  const path = join(work, `mixed-${rows}.csv`);
  if (!existsSync(path)) {
    process.stdout.write(`generating ${rows.toLocaleString('en')} rows → ${path} …\n`);
    await generate(path, rows);
  }
  return path;
}

/** Runs a command, returning wall seconds, CPU seconds (user+sys), peak RSS (MB) and its stdout. */
function measure(cmd, argv, { input } = {}) {
  const rssFile = join(work, 'rss.txt');
  rmSync(rssFile, { force: true });
  const [file, list] = hasTime ? ['/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, cmd, ...argv]] : [cmd, argv];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(file, list, { stdio: ['pipe', 'pipe', 'pipe'], cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.stdin.end(input ?? '');
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) return reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}\n${err.slice(-2000)}`));
      let report = {};
      const last = out.trim().split('\n').at(-1) ?? '';
      if (last.startsWith('{')) report = JSON.parse(last);
      const timeLine =
        hasTime && existsSync(rssFile) ? (readFileSync(rssFile, 'utf8').trim().split('\n').at(-1) ?? '') : '';
      const [rss, user, sys] = timeLine.split(' ').map(Number);
      const rssKb = hasTime ? rss : report.maxRssKb;
      const cpu = hasTime ? (user ?? Number.NaN) + (sys ?? Number.NaN) : Number.NaN;
      resolve({ seconds, cpu, rssMb: rssKb === undefined ? Number.NaN : rssKb / 1024, report, stdout: out });
    });
  });
}

const sqliteCount = (db, table) =>
  Number(execFileSync('sqlite3', [db, `SELECT count(*) FROM "${table}"`], { encoding: 'utf8' }).trim());
const freshDb = (name) => {
  const db = join(work, `${name}.db`);
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(db + suffix, { force: true });
  return db;
};

async function ours(file) {
  const db = freshDb('ours');
  if (via === 'cli') {
    const m = await measure('node', [cliPath, 'ingest', file, '--table', 'bench', '--db', `sqlite:${db}`]);
    return { ...m, rows: sqliteCount(db, 'ref.bench'), note: 'refdata ingest (CLI)' };
  }
  const m = await measure('node', [join(here, 'cases', 'ours.mjs'), file, db]);
  if (sqliteCount(db, 'ref.bench') !== m.report.rows) throw new Error('row count mismatch in ref.bench');
  return {
    ...m,
    rows: m.report.rows,
    note: `@refdata/ingest (built package${m.report.worker ? ', parse worker' : ''})`,
  };
}

const CASES = {
  a: { label: '(a) ours', run: ours },
  b: {
    label: '(b) fast-csv parse',
    run: async (file) => {
      const m = await measure('node', [join(here, 'cases', 'parse-fast-csv.mjs'), file]);
      return { ...m, rows: m.report.rows, note: '@fast-csv/parse, rows discarded' };
    },
  },
  c: {
    label: '(c) sqlite3 .import',
    run: async (file) => {
      const db = freshDb('sqlite3-cli');
      const m = await measure('sqlite3', [db], { input: `.import --csv ${file} bench\n` });
      return {
        ...m,
        rows: sqliteCount(db, 'bench'),
        note: `sqlite3 ${execFileSync('sqlite3', ['--version'], { encoding: 'utf8' }).split(' ')[0]} CLI`,
      };
    },
  },
  d: {
    label: '(d) pandas to_sql',
    run: async (file) => {
      const db = freshDb('pandas');
      const m = await measure('/usr/bin/python3', [join(here, 'cases', 'pandas_to_sql.py'), file, db]);
      return { ...m, rows: sqliteCount(db, 'bench'), note: 'read_csv(chunksize=990) + to_sql' };
    },
  },
  e: {
    label: '(e) python executemany',
    run: async (file) => {
      const db = freshDb('python');
      const m = await measure('/usr/bin/python3', [join(here, 'cases', 'python_executemany.py'), file, db]);
      return { ...m, rows: sqliteCount(db, 'bench'), note: 'csv.reader + executemany, one transaction' };
    },
  },
  f: {
    label: '(f) csv-parse parse',
    run: async (file) => {
      const m = await measure('node', [join(here, 'cases', 'parse-csv-parse.mjs'), file]);
      return { ...m, rows: m.report.rows, note: 'csv-parse stream, rows discarded' };
    },
  },
  g: {
    label: '(g) better-sqlite3 floor',
    run: async (file) => {
      const db = freshDb('floor');
      const m = await measure('node', [join(here, 'cases', 'sqlite-write-floor.mjs'), file, db]);
      // Only its inserts are timed (the file is read and parsed before the clock starts).
      return {
        ...m,
        seconds: m.report.seconds,
        cpu: m.report.cpu,
        rows: m.report.rows,
        note: 'pre-parsed rows, inserts only (write-stage floor)',
      };
    },
  },
  f2: {
    label: '(f) papaparse parse',
    run: async (file) => {
      const m = await measure('node', [join(here, 'cases', 'parse-papaparse.mjs'), file]);
      return { ...m, rows: m.report.rows, note: 'papaparse stream, rows discarded' };
    },
  },
};

const fmt = (n, d = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d }) : 'n/a';

const file = await ensureFile(ROWS);
process.stdout.write(
  `\nfile: ${file} (${fmt(statSync(file).size / 1e6, 1)} MB, ${fmt(ROWS)} rows × 10 columns); (a) via ${via}; peak RSS from ${hasTime ? '/usr/bin/time' : 'process self-report'}\n\n`,
);
const results = {};
const keys = Object.keys(CASES).filter((k) => ONLY.includes(k) || (k === 'f2' && ONLY.includes('f')));
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
process.stdout.write(`load average before: ${load()}\n`);
for (let round = 1; round <= REPEAT; round++) {
  for (const key of keys) {
    const c = CASES[key];
    process.stdout.write(`running ${c.label}${REPEAT > 1 ? ` (round ${round}/${REPEAT})` : ''} …\n`);
    try {
      const r = await c.run(file);
      if (r.rows !== ROWS) process.stdout.write(`  warning: ${c.label} saw ${r.rows} rows, expected ${ROWS}\n`);
      const best = results[key];
      if (best === undefined || r.seconds < best.seconds)
        results[key] = { ...r, rate: r.rows / r.seconds, rssMb: Math.max(r.rssMb, best?.rssMb ?? 0) };
      else best.rssMb = Math.max(best.rssMb, r.rssMb);
    } catch (err) {
      process.stdout.write(`  ${c.label} failed: ${err.message}\n`);
    }
  }
}
process.stdout.write(`load average after: ${load()}\n`);

const a = results.a;
process.stdout.write(
  `\n${'case'.padEnd(26)}${'rows'.padStart(11)}${'seconds'.padStart(10)}${'CPU s'.padStart(8)}${'rows/s'.padStart(11)}${'(a)/x'.padStart(8)}${'peak RSS'.padStart(11)}  notes\n`,
);
for (const key of keys) {
  const r = results[key];
  if (r === undefined) continue;
  const ratio = a === undefined ? Number.NaN : a.rate / r.rate;
  process.stdout.write(
    `${CASES[key].label.padEnd(26)}${fmt(r.rows).padStart(11)}${fmt(r.seconds, 2).padStart(10)}${fmt(r.cpu, 1).padStart(8)}${fmt(r.rate).padStart(11)}${fmt(ratio, 2).padStart(8)}${`${fmt(r.rssMb)} MB`.padStart(11)}  ${r.note}\n`,
  );
}

if (a !== undefined) {
  // Wall-clock ratio (what the targets are about) and, for a machine shared with other work,
  // the ratio of rows per CPU-second (ours uses two threads, so this one understates it).
  const line = (label, r, target) => {
    const ratio = a.rate / r.rate;
    const cpuRatio = a.cpu > 0 && r.cpu > 0 ? r.cpu / a.cpu : Number.NaN;
    process.stdout.write(
      `${label.padEnd(34)}${fmt(ratio, 2).padStart(6)}  (per CPU-second ${fmt(cpuRatio, 2)})${target ? `   target ${target}: ${ratio >= Number(target.slice(2)) ? 'met' : 'NOT met'}` : ''}\n`,
    );
  };
  process.stdout.write('\n');
  if (results.b) line('(a)/(b) ours vs fast-csv parse', results.b, '≥ 0.9');
  if (results.d) line('(a)/(d) ours vs pandas to_sql', results.d, '≥ 2');
  if (results.c) line('(a)/(c) ours vs sqlite3 .import', results.c);
  if (results.e) line('(a)/(e) ours vs python executemany', results.e);
  if (results.f) line('(a)/(f) ours vs csv-parse parse', results.f);
  if (results.f2) line('(a)/(f) ours vs papaparse parse', results.f2);
  if (results.g) line('(a)/(g) ours vs the write floor', results.g);
  if (results.g && results.e) {
    process.stdout.write(
      `write floor (g) vs python (e): ${fmt(results.e.seconds / results.g.seconds, 2)}× — no loader that writes through better-sqlite3 on one thread can beat python by more, even with free parsing\n`,
    );
  }
  process.stdout.write(
    `peak RSS of (a): ${fmt(a.rssMb)} MB (target ≤ 200 MB: ${a.rssMb <= 200 ? 'met' : 'NOT met'})\n`,
  );
}

if (flag('--with-10m') && a !== undefined) {
  const big = await ensureFile(10_000_000);
  process.stdout.write(`\nrunning (a) ours on 10,000,000 rows …\n`);
  const r = await ours(big);
  const rate = r.rows / r.seconds;
  const drift = (rate - a.rate) / a.rate;
  const rssDrift = (r.rssMb - a.rssMb) / a.rssMb;
  const signed = (x) => `${x >= 0 ? '+' : ''}${fmt(x * 100, 1)}%`;
  process.stdout.write(
    `(a) 10M rows: ${fmt(r.seconds, 2)} s, ${fmt(rate)} rows/s (${signed(drift)} vs 1M; target within ±10%: ${Math.abs(drift) <= 0.1 ? 'met' : 'NOT met'}), ` +
      `peak RSS ${fmt(r.rssMb)} MB (${signed(rssDrift)} vs 1M; target ≤ 200 MB: ${r.rssMb <= 200 ? 'met' : 'NOT met'})\n`,
  );
  if (!flag('--keep')) rmSync(big, { force: true });
}
for (const name of ['ours', 'sqlite3-cli', 'pandas', 'python', 'floor']) freshDb(name);
if (!flag('--keep')) rmSync(file, { force: true });
