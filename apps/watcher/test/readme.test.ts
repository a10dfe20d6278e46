/**
 * Keeps the root README true: the Quick start block CI extracts, and the configuration table
 * listing every setting the app reads.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXAMPLE_FIXTURES } from '@refdata/test-utils';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/settings.js';
import { REPO } from './helpers.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');
const SELF = fileURLToPath(import.meta.url);

describe('README.md', () => {
  it('has a Quick start with exactly the two lines CI runs', () => {
    const section = README.split('## Quick start')[1] ?? '';
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(block.split('\n').filter((l) => l.trim() !== '')).toEqual([
      'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 refdata watch --once --root examples/drop',
      'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 test',
    ]);
  });

  it('lets line 2 pass after line 1: no test reads the example folder that line 1 moves to archive/', () => {
    const readers: string[] = [];
    const visit = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (/\.(ts|mjs|js)$/.test(entry.name) && path !== SELF) {
          // Code, not comments: a path `…examples/drop…` or path parts `'examples', 'drop'`.
          const code = readFileSync(path, 'utf8')
            .split('\n')
            .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line));
          if (code.some((line) => /examples(\/|['"`]\s*,\s*['"`])drop/.test(line)))
            readers.push(path.slice(REPO.length));
        }
      }
    };
    for (const top of ['packages', 'apps', 'tools']) visit(join(REPO, top));
    expect(readers).toEqual([]);
  });

  it("keeps the tests' example fixtures equal to the example files as committed", () => {
    const names = readdirSync(EXAMPLE_FIXTURES).sort();
    const committed = execFileSync('git', ['ls-tree', '--name-only', 'HEAD', 'examples/drop/incoming/'], {
      cwd: REPO,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((l) => l !== '')
      .map((p) => basename(p))
      .sort();
    expect(names).toEqual(committed);
    for (const name of names) {
      const original = execFileSync('git', ['show', `HEAD:examples/drop/incoming/${name}`], { cwd: REPO });
      expect(readFileSync(join(EXAMPLE_FIXTURES, name)).equals(original), name).toBe(true);
    }
  });

  it('documents every setting in the configuration table', () => {
    const table = README.split('## Configuration')[1]?.split('\n## ')[0] ?? '';
    for (const s of SETTINGS) {
      if (s.env !== undefined) expect(table, s.env).toContain(`\`${s.env}\``);
      if (s.flag !== undefined) expect(table, s.flag).toContain(`\`${s.flag}\``);
      if (s.file !== undefined) expect(table, s.file).toContain(s.file.split('.').pop() ?? s.file);
    }
  });

  it('ships the systemd unit it shows', () => {
    const unit = readFileSync(join(REPO, 'docs', 'systemd', 'refdata-watcher.service'), 'utf8');
    const shown = /```ini\n([\s\S]*?)```/.exec(README)?.[1];
    expect(shown).toBe(unit);
  });
});
