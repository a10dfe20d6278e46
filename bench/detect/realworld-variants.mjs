// Generality check for @refdata/detect: the real-world corpus written again in ten other
// dialects (realworld_variants.py), then converted and scored exactly as realworld.mjs scores the
// originals. A rule fitted to the 190 files' own dialects shows up here as a drop from their share.
//
// usage: node bench/detect/realworld-variants.mjs [--corpus DIR] [--scorer FILE]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const args = process.argv.slice(2);
const opt = (flag, fallback) => {
  const i = args.indexOf(flag);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const corpus = resolve(opt('--corpus', join(root, '..', 'shared', 'corpus', 'realworld')));
const scorer = resolve(opt('--scorer', join(root, '..', 'shared', 'bench', 'realworld_score.py')));
if (!existsSync(join(corpus, 'truth.json'))) {
  console.error(`Real-world corpus not found at ${corpus}; pass --corpus DIR.`);
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), 'refdata-variants-'));
try {
  const gen = spawnSync(
    'python3',
    [join(here, 'realworld_variants.py'), corpus, join(work, 'corpus'), dirname(scorer)],
    {
      encoding: 'utf8',
    },
  );
  if (gen.status !== 0) {
    console.error(gen.stderr);
    process.exit(1);
  }
  console.log(`wrote ${gen.stdout.trim()} variant files of ${corpus}`);
  const run = spawnSync(
    process.execPath,
    [join(here, 'realworld.mjs'), '--corpus', join(work, 'corpus'), '--scorer', scorer, '--out', join(work, 'out')],
    { stdio: 'inherit' },
  );
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
