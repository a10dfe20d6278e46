/**
 * Builds whatever tests spawn as real processes (`node apps/watcher/dist/cli.js` and the
 * packages' dist/ it imports) when a build is missing or older than its sources. After
 * `pnpm install` (whose `prepare` builds everything) nothing is rebuilt.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** Each build externalises its siblings, so a stale package never forces another rebuild. */
const TARGETS: readonly { readonly dir: string; readonly output: string }[] = [
  { dir: 'packages/detect', output: 'dist/index.js' },
  { dir: 'packages/db', output: 'dist/index.js' },
  { dir: 'packages/monitor', output: 'dist/index.js' },
  { dir: 'packages/ingest', output: 'dist/index.js' },
  { dir: 'apps/watcher', output: 'dist/cli.js' },
];

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Rebuilds each stale package and the app with tsup. `forWhat` names the tests in the error
 * raised when a build fails ("the CLI tests").
 */
export function buildStalePackages(forWhat: string): void {
  const tsup = join(REPO, 'node_modules', '.bin', 'tsup');
  for (const target of TARGETS) {
    const pkg = join(REPO, target.dir);
    const output = join(pkg, target.output);
    const sources = Math.max(
      newestSource(join(pkg, 'src')),
      statSync(join(pkg, 'package.json')).mtimeMs,
      statSync(join(pkg, 'tsup.config.ts')).mtimeMs,
    );
    if (existsSync(output) && statSync(output).mtimeMs >= sources) continue;
    try {
      execFileSync(tsup, [], { cwd: pkg, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new Error(`Building ${target.dir} for ${forWhat} failed; fix it or run \`pnpm build\`:\n${stderr}`);
    }
  }
}
