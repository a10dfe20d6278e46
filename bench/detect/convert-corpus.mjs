// Converts a list of inputs into an output folder for the detection benchmarks: through the
// built `refdata convert --out-dir` when the CLI exists (what a user runs), otherwise with
// convert-direct.mjs. Returns how it ran and what each input reported on stderr.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {string} root the repository root
 * @param {string[]} inputs input files
 * @param {string} outDir output folder (one file per input, same name)
 * @param {{ direct?: boolean }} [options]
 * @returns {{ via: string, seconds: number, status: number | null, stderr: string,
 *   perFile: Map<string, { rejected: number, error?: string }> }}
 */
export function convertCorpus(root, inputs, outDir, options = {}) {
  const cli = join(root, 'apps', 'watcher', 'dist', 'cli.js');
  const cliHasConvert =
    options.direct !== true &&
    existsSync(cli) &&
    spawnSync(process.execPath, [cli, 'convert', '--help'], { encoding: 'utf8' }).status === 0;
  const runner = cliHasConvert
    ? [cli, 'convert', ...inputs, '--out-dir', outDir]
    : [join(root, 'bench', 'detect', 'convert-direct.mjs'), '--out-dir', outDir, ...inputs];
  const t0 = performance.now();
  const run = spawnSync(process.execPath, runner, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  const stderr = run.stderr ?? '';
  // Both runners name the input first: "<input>: 3 row(s) rejected …" or "<input>: … CODE …".
  const perFile = new Map();
  for (const line of stderr.split('\n')) {
    const m = /^(.+?): (?:(\d+) row\(s\) rejected|.*?\b(DETECT_[A-Z_]+|[A-Z]+_[A-Z_]+)\b)/.exec(line);
    if (!m) continue;
    const name = basename(m[1]);
    const entry = perFile.get(name) ?? { rejected: 0 };
    if (m[2] !== undefined) entry.rejected += Number(m[2]);
    else entry.error = m[3];
    perFile.set(name, entry);
  }
  return {
    via: cliHasConvert ? 'refdata convert (CLI)' : 'convert-direct.mjs (CLI not built)',
    seconds,
    status: run.status,
    stderr,
    perFile,
  };
}

/**
 * The common command line of the detection benchmarks: `--corpus DIR`, `--scorer FILE`,
 * `--out DIR`, `--direct`. Exits with 2 when the corpus or the built @refdata/detect is missing.
 *
 * @param {string} name the corpus folder and scorer prefix (`pollock`, `realworld`)
 * @param {string} label how to name the corpus in messages
 */
export function benchSetup(name, label) {
  const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
  const args = process.argv.slice(2);
  const opt = (flag, fallback) => {
    const i = args.indexOf(flag);
    return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
  };
  const corpus = resolve(opt('--corpus', join(root, '..', 'shared', 'corpus', name)));
  const scorer = resolve(opt('--scorer', join(root, '..', 'shared', 'bench', `${name}_score.py`)));
  const outDir = resolve(opt('--out', mkdtempSync(join(tmpdir(), `refdata-${name}-`))));
  if (!existsSync(join(corpus, 'csv'))) {
    console.error(`${label} corpus not found at ${corpus}; pass --corpus DIR.`);
    process.exit(2);
  }
  const detectDist = join(root, 'packages', 'detect', 'dist', 'index.js');
  if (!existsSync(detectDist)) {
    console.error('Build @refdata/detect first: pnpm --filter @refdata/detect build');
    process.exit(2);
  }
  return { root, corpus, scorer, outDir, detectDist, direct: args.includes('--direct') };
}
