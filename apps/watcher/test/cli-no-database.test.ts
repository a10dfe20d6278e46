/**
 * Read-only commands never create a database at a mistyped path: they say "No database at …"
 * and exit 5, leaving no file and no folder behind; only `init`, `watch` and `ingest` create one
 * (issue 15, item 5).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, workspace, writeCsv } from './helpers.js';

const READ_ONLY: readonly (readonly string[])[] = [
  ['files'],
  ['files', '--json'],
  ['tables'],
  ['show', '1'],
  ['export', 'currencies'],
  ['backups'],
  ['restore', 'currencies', 'bkp.currencies.x'],
  ['release', '1'],
  ['health'],
  ['health', '--json'],
];

describe('a database path that does not exist', () => {
  it.each(READ_ONLY.map((args) => [args.join(' '), args] as const))(
    '`%s` says "No database at …", exits 5 and creates nothing',
    async (_name, args) => {
      const ws = await workspace();
      const r = await runCli(['--db', 'sqlite:./nodir/x.db', ...args], { cwd: ws.dir, env: ws.env() });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain(`No database at ${join(ws.dir, 'nodir', 'x.db')} (set by the --db flag)`);
      expect(existsSync(join(ws.dir, 'nodir'))).toBe(false);
    },
  );

  it('names the environment variable when REFDATA_DB set the path', async () => {
    const ws = await workspace();
    const r = await runCli(['tables'], { cwd: ws.dir, env: ws.env({ REFDATA_DB: 'sqlite:./nodir/x.db' }) });
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('(set by the environment variable REFDATA_DB)');
    expect(existsSync(join(ws.dir, 'nodir'))).toBe(false);
  });

  it('is created by init, by watch and by ingest', async () => {
    const ws = await workspace();
    expect((await runCli(['--db', 'sqlite:./a/x.db', 'init'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    expect(existsSync(join(ws.dir, 'a', 'x.db'))).toBe(true);
    expect((await runCli(['--db', 'sqlite:./b/x.db', 'watch', '--once'], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    expect(existsSync(join(ws.dir, 'b', 'x.db'))).toBe(true);
    const csv = join(ws.dir, 'codes.csv');
    await writeCsv(csv, 'code', ['A']);
    expect((await runCli(['--db', 'sqlite:./c/x.db', 'ingest', csv], { cwd: ws.dir, env: ws.env() })).code).toBe(0);
    expect(existsSync(join(ws.dir, 'c', 'x.db'))).toBe(true);
    // …and then read by the read-only commands.
    const files = await runCli(['--db', 'sqlite:./c/x.db', 'files'], { cwd: ws.dir, env: ws.env() });
    expect(files.code).toBe(0);
    expect(files.stdout).toContain('codes.csv');
  });
});
