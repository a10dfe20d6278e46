/**
 * Another team installs the libraries as README.md says, before they are on a registry: the
 * packed tarballs, installed into a fresh project with npm, load a CSV file; and npm run in the
 * repository prints no warning about its configuration (issue 15, item 15).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from '@refdata/test-utils';
import { describe, expect, it, onTestFinished } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The shell lines of the README's "Using the libraries in another project" block. */
function installSteps(): string[] {
  const section = README.split('## Using the libraries in another project')[1]?.split('\n## ')[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

describe('installing the libraries in another project', () => {
  it('npm run in the repository prints no warning about its configuration', () => {
    const r = spawnSync('npm', ['config', 'get', 'registry'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/npm warn/i);
  });

  it('works as README.md says: pack the tarballs, npm install them into a fresh project, load a file', async () => {
    const steps = installSteps();
    expect(steps).toHaveLength(3);
    const [install, pack, consumerInstall] = steps as [string, string, string];
    expect(install).toBe('npx -y pnpm@12.4.2 install --frozen-lockfile');
    expect(pack).toBe('npx -y pnpm@12.4.2 run pack:packages');

    // Step 2 as written (the clone is this repository, already installed and built).
    const packs = join(REPO, 'packs');
    const hadPacks = existsSync(packs);
    onTestFinished(async () => {
      if (!hadPacks) await rm(packs, { recursive: true, force: true });
    });
    execFileSync('bash', ['-c', pack], { cwd: REPO, stdio: 'pipe' });

    // Step 3 in a fresh project: the README's paths point at this clone. better-sqlite3 is the
    // workspace's own build, linked, and install scripts are skipped (compiling it from source
    // takes minutes; our packages have no install scripts).
    const { dir, cleanup } = await makeTempDir('refdata-consumer-');
    onTestFinished(cleanup);
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    const sqlite = realpathSync(join(REPO, 'packages', 'db', 'node_modules', 'better-sqlite3'));
    const args = consumerInstall
      .replace(/^npm install /, '')
      .split(/\s+/)
      .map((a) => (a === 'better-sqlite3' ? `file:${sqlite}` : a.replace('/path/to/refdata/', REPO)));
    for (const a of args.filter((x) => x.endsWith('.tgz'))) expect(existsSync(a), a).toBe(true);
    execFileSync('npm', ['install', ...args, '--no-audit', '--no-fund', '--install-links=false', '--ignore-scripts'], {
      cwd: dir,
      stdio: 'pipe',
    });

    await mkdir(join(dir, 'drop'));
    await writeFile(join(dir, 'drop', 'currencies.csv'), 'code,numeric_code\nALL,008\nEUR,978\n');
    await writeFile(
      join(dir, 'load.mjs'),
      `import { openDatabase } from '@refdata/db';
import { createIngestor } from '@refdata/ingest';
const db = await openDatabase('sqlite:./refdata.db');
await db.migrate();
const ingestor = createIngestor({ db });
const result = await ingestor.ingest('drop/currencies.csv');
const rows = [];
for await (const row of db.readTable('currencies')) rows.push(row);
await ingestor.close();
await db.close();
console.log(JSON.stringify({ status: result.status, rows }));
`,
    );
    const out = execFileSync(process.execPath, ['load.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      status: 'loaded',
      rows: [
        ['ALL', '008'],
        ['EUR', '978'],
      ],
    });
  });
});
