#!/usr/bin/env node
// Packs the publishable packages with `pnpm pack`, installs the tarballs into a fresh temporary
// project with npm (as a stranger would), and loads a CSV through @refdata/ingest's public API
// from an ESM program, a CommonJS program (`require`) and a strict TypeScript project.
// Run after `pnpm build`. Exits non-zero on the first failure.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'refdata-consumer-'));
const keep = process.argv.includes('--keep');
const run = (cmd, args, cwd) => {
  process.stdout.write(`$ ${cmd} ${args.join(' ')}  (in ${cwd})\n`);
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
};

try {
  const tarballs = {};
  const packs = join(work, 'packs');
  mkdirSync(packs);
  for (const pkg of ['detect', 'db', 'monitor', 'ingest']) {
    const out = run('pnpm', ['pack', '--pack-destination', packs], join(root, 'packages', pkg));
    const file = out.trim().split('\n').pop().trim();
    tarballs[`@refdata/${pkg}`] = file.startsWith('/') ? file : join(packs, file);
  }

  // better-sqlite3 compiles from source (minutes); reuse the workspace's build as a local folder.
  const sqliteDir = realpathSync(join(root, 'packages', 'db', 'node_modules', 'better-sqlite3'));
  const app = join(work, 'app');
  mkdirSync(app);
  const deps = Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`]));
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'consumer',
        private: true,
        version: '1.0.0',
        dependencies: { ...deps, 'better-sqlite3': `file:${sqliteDir}` },
        overrides: deps,
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--install-links=false'], app);

  const csv = 'code,name,minor_unit\n008,Albanian lek,2\n036,Australian dollar,2\n978,Euro,2\n';
  writeFileSync(join(app, 'currencies.csv'), csv);

  const program = (loader) => `${loader}
async function main() {
  const db = await openDatabase('sqlite:' + process.argv[2]);
  await db.migrate();
  const ingestor = createIngestor({ db });
  const job = ingestor.ingest('currencies.csv', { table: 'currencies' });
  let events = 0;
  for await (const p of job) events += p.done ? 1 : 0;
  const result = await job;
  const rows = [];
  for await (const row of db.readTable('currencies')) rows.push(row);
  await ingestor.close();
  await db.close();
  if (result.rowsLoaded !== 3 || rows.length !== 3 || rows[0][0] !== '008' || events !== 1) {
    throw new Error('unexpected result: ' + JSON.stringify({ result: result.rowsLoaded, rows, events }));
  }
  console.log('ok', result.table, result.rowsLoaded);
}
main().catch((err) => { console.error(err); process.exit(1); });
`;
  writeFileSync(
    join(app, 'esm.mjs'),
    program("import { createIngestor } from '@refdata/ingest';\nimport { openDatabase } from '@refdata/db';"),
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    program("const { createIngestor } = require('@refdata/ingest');\nconst { openDatabase } = require('@refdata/db');"),
  );
  process.stdout.write(run('node', ['esm.mjs', join(app, 'esm.db')], app));
  process.stdout.write(run('node', ['cjs.cjs', join(app, 'cjs.db')], app));

  // A strict TypeScript consumer that must type-check against the published .d.ts files.
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ['typed.mts'],
    }),
  );
  writeFileSync(
    join(app, 'typed.mts'),
    `import { createIngestor, type IngestResult, type IngestProgress } from '@refdata/ingest';
import { openDatabase, type Database } from '@refdata/db';
import { detectFormat, type FormatInfo } from '@refdata/detect';
import { createMonitor } from '@refdata/monitor';

const db: Database = await openDatabase('sqlite::memory:');
const format: FormatInfo = await detectFormat('currencies.csv');
const ingestor = createIngestor({ db, batchSize: 500 });
ingestor.on('progress', (p: IngestProgress) => p.rowsRead);
const result: IngestResult = await ingestor.ingest('currencies.csv', { table: 'currencies', maxErrors: 0 });
const rows: number = result.rowsLoaded;
const monitor = createMonitor({ root: '/tmp/x', handler: async () => ({ state: 'archived' }) });
void monitor;
void format;
void rows;
`,
  );
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  run('node', [tsc, '-p', 'tsconfig.json'], app);
  process.stdout.write('consumer test passed: ESM, CommonJS and strict TypeScript\n');
  const pkgJson = JSON.parse(readFileSync(join(app, 'node_modules', '@refdata', 'ingest', 'package.json'), 'utf8'));
  if (JSON.stringify(pkgJson).includes('workspace:'))
    throw new Error('packed package.json still has workspace: ranges');
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
  else process.stdout.write(`kept ${work}\n`);
}
