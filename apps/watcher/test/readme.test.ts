/**
 * Keeps the root README true: the Quick start block CI extracts, and the configuration table
 * listing every setting the app reads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../src/config.js';
import { REPO } from './helpers.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');

describe('README.md', () => {
  it('has a Quick start with exactly the two lines CI runs', () => {
    const section = README.split('## Quick start')[1] ?? '';
    const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(block.split('\n').filter((l) => l.trim() !== '')).toEqual([
      'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 refdata watch --once --root examples/drop',
      'npx -y pnpm@12.4.2 install --frozen-lockfile && npx -y pnpm@12.4.2 test',
    ]);
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
