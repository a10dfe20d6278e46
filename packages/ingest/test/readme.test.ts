/**
 * Every TypeScript block of README.md is type-checked (strict, against the built packages' .d.ts)
 * and run as written (compiled to JavaScript, importing the built packages by name) against a
 * temporary SQLite file: an example that does not compile, or whose error handling does not catch
 * what it means to catch, fails here (issue 15, item 14).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '@refdata/db';
import { buildStalePackages, makeTempDir } from '@refdata/test-utils';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';

const PACKAGE = fileURLToPath(new URL('../', import.meta.url));
const REPO = join(PACKAGE, '..', '..');
const README = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
const BLOCKS = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');

/** A consumer project: the README blocks as `block-N.mts`, the built packages linked by name. */
async function consumer(): Promise<string> {
  const { dir, cleanup } = await makeTempDir('refdata-readme-');
  onTestFinished(cleanup);
  const links: Record<string, string> = {
    '@refdata/ingest': PACKAGE,
    '@refdata/db': join(REPO, 'packages', 'db'),
    '@refdata/detect': join(REPO, 'packages', 'detect'),
    pino: join(PACKAGE, 'node_modules', 'pino'),
  };
  for (const [name, target] of Object.entries(links)) {
    const at = join(dir, 'node_modules', name);
    mkdirSync(join(at, '..'), { recursive: true });
    symlinkSync(target, at, 'dir');
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        outDir: 'out',
        skipLibCheck: true,
        types: ['node'],
        typeRoots: [join(REPO, 'node_modules', '@types')],
      },
      include: ['*.mts'],
    }),
  );
  BLOCKS.forEach((code, i) => {
    writeFileSync(join(dir, `block-${i + 1}.mts`), code);
  });
  mkdirSync(join(dir, 'drop'));
  return dir;
}

function currencies(dir: string, badRows: number): void {
  let text = 'code,numeric_code,name,minor_unit\nEUR,978,Euro,2\nALL,008,Albanian lek,2\n';
  // The table's minor_unit is an integer column: "two" does not fit it.
  for (let i = 0; i < badRows; i++) text += `X${i},99${i},Bad ${i},two\n`;
  writeFileSync(join(dir, 'drop', 'currencies_20250101.csv'), text);
}

function runBlock(dir: string, n: number): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(dir, 'out', `block-${n}.mjs`)], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('README.md of @refdata/ingest', () => {
  beforeAll(() => buildStalePackages('the README test of @refdata/ingest'));

  it('has TypeScript examples, and each type-checks against the built packages', async () => {
    expect(BLOCKS.length).toBeGreaterThanOrEqual(2);
    const dir = await consumer();
    const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
    const result = spawnSync(tsc, ['-p', dir], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('runs as written: loads the file, and catches and reports a failed load with its rejects', async () => {
    const dir = await consumer();
    execFileSync(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', dir]);

    currencies(dir, 0);
    const first = runBlock(dir, 1);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('"msg":"ingested"');
    const second = runBlock(dir, 2);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('second load settled');
    expect(second.stdout.trim().split('\n').at(-1)).toBe('loaded');

    const db = await openDatabase(`sqlite:${join(dir, 'data', 'refdata.db')}`);
    const table = await db.describeTable('currencies');
    await db.close();
    expect(table?.rowCount).toBe(2);

    // Eleven bad rows with maxErrors 10: the example's catch must run (not the error escape from
    // `for await`), write the rejects report and set the exit code.
    currencies(dir, 11);
    const failed = runBlock(dir, 1);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('"code":"INGEST_TOO_MANY_REJECTS"');
    const report = await readFile(join(dir, 'currencies.rejects.csv'), 'utf8');
    expect(report.trim().split('\n')).toHaveLength(12);
  });
});
