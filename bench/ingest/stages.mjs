#!/usr/bin/env node
/**
 * Where the CPU goes in one `refdata ingest` of the benchmark file (issue 14): runs the built CLI
 * once under V8's sampling profiler (`--cpu-prof`, one profile per thread), maps every sample
 * back to its TypeScript source through the build's source maps, and prints CPU-seconds per
 * stage and thread:
 *
 *   parse worker — read+hash (fs, sha256), decode, tokenizer, typed conversion, batch packing, GC
 *   main thread  — unpack, binding (value checks, bind arrays), SQLite (better-sqlite3's native
 *                  run: parameter binding in C++ and SQLite's own work), commit, detection, GC
 *   checkpointer — the background WAL checkpoint thread
 *
 * Usage: node bench/ingest/stages.mjs [--rows N] [--file PATH] [--top N] [--keep] [--json]
 * Needs `pnpm build`. The profile samples every ~1 ms, so a stage shorter than ~0.05 s is noise.
 * Files go to $REFDATA_BENCH_DIR or /tmp/refdata-bench-ingest, never the repo.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const value = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const ROWS = Number(value('--rows', '1000000'));
const work = process.env.REFDATA_BENCH_DIR ?? join(tmpdir(), 'refdata-bench-ingest');
mkdirSync(work, { recursive: true });
const cliPath = join(root, 'apps', 'watcher', 'dist', 'cli.js');

/** Stage of a sample, from its original source file and function name. */
export function stageOf(source, fn, thread) {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)' || fn === '(program)' || fn === '(root)') return fn;
  const s = source ?? '';
  if (thread === 'checkpointer') return 'checkpoint';
  if (/(^|\/)src\/(tokenizer|read-records|rows)\.ts$/.test(s)) return 'tokenizer';
  if (/(^|\/)src\/decode\.ts$/.test(s) || (fn === 'decode' && s === '')) return 'decode';
  if (/(^|\/)src\/(row-converter|value-parser|numbers|temporal)\.ts$/.test(s)) return 'typed conversion';
  if (/(^|\/)src\/packed-rows\.ts$/.test(s)) return thread === 'worker' ? 'batch packing' : 'unpack';
  if (/(^|\/)src\/(batch-reader|batch-source|parse-worker)\.ts$/.test(s))
    return thread === 'worker' ? 'batch loop' : 'receive';
  if (/sqlite-(load-session|value-check|types)\.ts$/.test(s)) return 'binding';
  if (fn === 'run' && s === '') return 'SQLite (native run)';
  if (fn === 'exec' && /better-sqlite3\/lib\/methods\/wrappers\.js$/.test(s)) return 'SQLite (BEGIN/COMMIT)';
  if (/sqlite-(commit|tables|backups|audit)\.ts$/.test(s) || (fn === 'exec' && s === '')) return 'commit';
  if (
    /(^|\/)src\/(detect-format|infer-types|sample|structure|choose-dialect|dialect|columns|code-page|decision|footer|padding|safe-column-names|api)\.ts$/.test(
      s,
    )
  )
    return 'detection';
  if (/node:internal\/(streams|fs)|^node:fs|internal\/fs/.test(s)) return 'read (fs streams)';
  if (/node:internal\/crypto|^node:crypto/.test(s) || fn === 'update' || fn === 'digest') return 'sha256';
  if (/node:internal\/(worker|per_context\/messageport)|messageport/.test(s) || fn === 'postMessage')
    return 'messaging';
  if (/node_modules/.test(s)) return 'libraries';
  if (s.startsWith('node:') || s === '') return 'node internals';
  return 'other';
}

/** Self time per (stage) of one .cpuprofile, in seconds. */
function analyse(profilePath) {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8'));
  const maps = new Map();
  const mapFor = (url) => {
    if (!url.startsWith('file://')) return undefined;
    if (maps.has(url)) return maps.get(url);
    let map;
    const path = fileURLToPath(url);
    if (existsSync(`${path}.map`)) map = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')));
    maps.set(url, map);
    return map;
  };
  const byNode = new Map();
  const files = new Set();
  for (const node of profile.nodes) {
    const { url, functionName, lineNumber, columnNumber } = node.callFrame;
    let source = url;
    const map = mapFor(url);
    if (map !== undefined) {
      const entry = map.findEntry(lineNumber, columnNumber);
      if (entry?.originalSource) source = entry.originalSource;
    }
    files.add(source);
    byNode.set(node.id, { source, fn: functionName });
  }
  const seconds = new Map();
  const { samples, timeDeltas } = profile;
  // The delta after a sample is the time spent in it (V8 records the delta before the next one).
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? 0) / 1e6;
    const n = byNode.get(samples[i]);
    seconds.set(n, (seconds.get(n) ?? 0) + dt);
  }
  return { seconds, files };
}

/** Which thread a profile belongs to, from the sources it ran. */
function threadOf(files) {
  const all = [...files].join('\n');
  if (all.includes('cli.ts') || all.includes('apps/watcher')) return 'main';
  if (all.includes('row-converter.ts') || all.includes('parse-worker.ts')) return 'worker';
  if (all.includes('wal_checkpoint') || !all.includes('.ts')) return 'checkpointer';
  return 'other';
}

const file = value('--file', undefined) ?? join(work, `mixed-${ROWS}.csv`);
if (!existsSync(file)) {
  process.stdout.write(`generating ${ROWS.toLocaleString('en')} rows → ${file} …\n`);
  await generate(file, ROWS);
}
const db = join(work, 'stages.db');
for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
const profDir = join(work, 'stages-prof');
rmSync(profDir, { recursive: true, force: true });
/** CPU seconds (user+sys) of each thread of `pid` now, from /proc (Linux only). */
function threadCpu(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / 100); // utime, stime in clock ticks
    } catch {
      // the thread just ended
    }
  }
  return out;
}

const started = process.hrtime.bigint();
const child = spawn(
  'node',
  ['--cpu-prof', '--cpu-prof-dir', profDir, cliPath, 'ingest', file, '--table', 'bench', '--db', `sqlite:${db}`],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
// Threads end before the process does: keep the last CPU figure seen for each.
const cpuByTid = new Map();
const poll = setInterval(() => {
  for (const [tid, s] of threadCpu(child.pid)) cpuByTid.set(tid, s);
}, 25);
const [code] = await once(child, 'exit');
clearInterval(poll);
if (code !== 0) throw new Error(`refdata ingest exited ${code}`);
const wall = Number(process.hrtime.bigint() - started) / 1e9;
const mainCpu = cpuByTid.get(child.pid) ?? Number.NaN;
const others = [...cpuByTid].filter(([tid]) => tid !== child.pid).map(([, s]) => s);
const workerCpu = others.length > 0 ? Math.max(...others) : Number.NaN;
const restCpu = others.reduce((a, b) => a + b, 0) - workerCpu;

const TOP = Number(value('--top', '0'));
const table = new Map(); // thread → stage → seconds
const tops = new Map(); // thread → "source fn" → seconds
for (const name of readdirSync(profDir)) {
  const { seconds, files } = analyse(join(profDir, name));
  const thread = threadOf(files);
  const stages = table.get(thread) ?? new Map();
  table.set(thread, stages);
  for (const [{ source, fn }, s] of seconds) {
    const stage = stageOf(source, fn, thread);
    stages.set(stage, (stages.get(stage) ?? 0) + s);
    const top = tops.get(thread) ?? new Map();
    tops.set(thread, top);
    const key = `${stage} | ${source.replace(/^.*\/(packages|apps|node_modules)\//, '')} ${fn}`;
    top.set(key, (top.get(key) ?? 0) + s);
  }
}

const result = { wall: +wall.toFixed(3) };
const measured = { main: mainCpu, worker: workerCpu };
process.stdout.write(
  `\n${ROWS.toLocaleString('en')} rows, wall ${wall.toFixed(2)} s under the profiler; thread CPU from /proc: ` +
    `main ${mainCpu.toFixed(2)} s, parse worker ${workerCpu.toFixed(2)} s, other threads ${restCpu.toFixed(2)} s ` +
    '(checkpointer, V8 GC helpers, libuv pool)\n',
);
result.otherThreadsCpu = +restCpu.toFixed(3);
for (const thread of ['worker', 'main', 'checkpointer', 'other']) {
  const stages = table.get(thread);
  if (stages === undefined) continue;
  const busy = [...stages].filter(([k]) => k !== '(idle)').reduce((a, [, v]) => a + v, 0);
  // Samples count time on the thread whether or not it had a core; scale them to its CPU time.
  const cpu = measured[thread];
  const scale = Number.isFinite(cpu) && busy > 0 ? cpu / busy : 1;
  result[thread] = { cpu: +(busy * scale).toFixed(3), sampled: +busy.toFixed(3) };
  process.stdout.write(
    `\n${thread} thread: ${(busy * scale).toFixed(2)} CPU-s (${busy.toFixed(2)} s sampled busy, ` +
      `${(stages.get('(idle)') ?? 0).toFixed(2)} s idle)\n`,
  );
  for (const [stage, s] of [...stages].sort((a, b) => b[1] - a[1])) {
    if (stage === '(idle)') continue;
    result[thread][stage] = +(s * scale).toFixed(3);
    process.stdout.write(`  ${stage.padEnd(22)}${(s * scale).toFixed(2).padStart(7)} s\n`);
  }
  if (TOP > 0) {
    process.stdout.write(`  top ${TOP} functions (sampled seconds):\n`);
    for (const [k, s] of [...(tops.get(thread) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, TOP))
      process.stdout.write(`    ${s.toFixed(3).padStart(7)} s  ${k}\n`);
  }
}
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
if (!args.includes('--keep')) rmSync(profDir, { recursive: true, force: true });
for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
