/**
 * Issue 15 item 6 (log side): `watch --once` logs one line when a file is first seen and one when
 * it is stable, not one per observation, so the stability window is never silent.
 */
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, workspace } from './helpers.js';

interface LogLine {
  readonly msg?: string;
  readonly file?: { readonly name?: string };
  readonly [key: string]: unknown;
}

function logLines(stderr: string): LogLine[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

describe('refdata watch --once', () => {
  it('logs a file once when first seen and once when stable, however many observations it takes', async () => {
    const ws = await workspace();
    const path = join(ws.incoming, 'currencies.csv');
    await writeFile(path, 'code,name\nEUR,Euro\nUSD,Dollar\n');
    // An mtime in the future: the file never counts as aged, so it needs all five observations.
    const future = new Date(Date.now() + 3_600_000);
    await utimes(path, future, future);
    const r = await runCli(['watch', '--once'], {
      cwd: ws.dir,
      env: ws.env({ MONITOR_INTERVAL: '0.1', STABILITY_CHECKS: '5', LOG_LEVEL: 'info' }),
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = logLines(r.stderr).filter((l) => l.file?.name === 'currencies.csv');
    const seen = lines.filter((l) => l.msg === 'file seen; waiting until it is stable');
    const stable = lines.filter((l) => l.msg === 'file stable; claiming it');
    expect(seen).toHaveLength(1);
    expect(stable).toHaveLength(1);
    expect(seen[0]).toMatchObject({ rule: 'polling', checks: 5, readyInMs: 500, size: 30 });
    expect(stable[0]).toMatchObject({ rule: 'polling', size: 30 });
    expect(lines.indexOf(seen[0] as LogLine)).toBeLessThan(lines.indexOf(stable[0] as LogLine));
    expect(r.stdout).toMatch(/1 archived/);
  });
});
