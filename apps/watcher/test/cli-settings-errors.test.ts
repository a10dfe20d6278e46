/**
 * Words an operator can act on (issue 15, item 12): a bad database URL is a configuration error
 * naming the setting it came from (flag, environment variable or config file) and never the
 * library's `sqlite::memory:`; every command's --help shows the global options; a drop root that
 * is a file is a one-line error.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, workspace } from './helpers.js';

const COMMANDS = [
  'init',
  'watch',
  'ingest',
  'detect',
  'convert',
  'export',
  'files',
  'show',
  'tables',
  'backups',
  'restore',
  'release',
  'health',
];

describe('a database URL the driver would refuse', () => {
  it.each([
    [
      'a bad encrypt= value',
      'mssql://loader@db.example.com/refdata?encrypt=maybe',
      'encrypt="maybe" is not true, false or strict',
    ],
    [
      'a misspelled parameter',
      'mssql://loader@db.example.com/refdata?encrpyt=true',
      'the URL parameter "encrpyt" is not supported',
    ],
    ['a missing user', 'mssql://db.example.com/refdata', 'the URL has no user'],
  ])('%s is a configuration error naming --db, REFDATA_DB or the config file', async (_what, url, why) => {
    const ws = await workspace();
    const fromFlag = await runCli(['--db', url, 'tables'], { cwd: ws.dir, env: ws.env() });
    expect(fromFlag.code).toBe(2);
    expect(fromFlag.stderr).toContain(`APP_CONFIG_INVALID`);
    expect(fromFlag.stderr).toContain(`--db (command-line flag): ${why}`);

    const fromEnv = await runCli(['tables'], { cwd: ws.dir, env: ws.env({ REFDATA_DB: url }) });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(`REFDATA_DB (environment variable): ${why}`);

    const config = join(ws.dir, 'refdata.config.json');
    await writeFile(config, JSON.stringify({ database: { url } }));
    const env = ws.env();
    delete env.REFDATA_DB;
    const fromFile = await runCli(['tables'], { cwd: ws.dir, env });
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toContain(`database.url (in ${config}): ${why}`);

    for (const r of [fromFlag, fromEnv, fromFile]) {
      expect(r.stderr).not.toContain('sqlite::memory:');
      expect(r.stderr).not.toContain('DB_URL_INVALID');
    }
  });

  it('names db_user when SQL Server is configured by db_host without a login', async () => {
    const ws = await workspace();
    const env = ws.env({ db_host: 'db.example.com', db_name: 'refdata' });
    delete env.REFDATA_DB;
    const r = await runCli(['tables'], { cwd: ws.dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('db_user (environment variable) / database.user (config file): not set');
    expect(r.stderr).not.toContain('sqlite::memory:');
  });

  it('names db_password, not a library option, when the SQL Server password is missing', async () => {
    const ws = await workspace();
    const r = await runCli(['--db', 'mssql://loader@127.0.0.1:9/refdata', 'tables'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('db_password (environment variable) is not set');
    expect(r.stderr).not.toContain('options.password');
  });
});

describe('--help of every command', () => {
  it.each(COMMANDS)('`%s --help` shows the global options --root and --db', async (command) => {
    const ws = await workspace();
    const r = await runCli([command, '--help'], { cwd: ws.dir, env: ws.env() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Global Options:');
    expect(r.stdout).toMatch(/--root <dir>/);
    expect(r.stdout).toMatch(/--db <url>/);
  });
});

describe('a drop root that is a file', () => {
  it.each([['watch', '--once'], ['init']])(
    '`%s` gives a one-line error naming the setting, not ENOTDIR',
    async (...args) => {
      const ws = await workspace();
      const file = join(ws.dir, 'not-a-folder');
      await writeFile(file, 'x');
      const r = await runCli([...args, '--root', file], { cwd: ws.dir, env: ws.env() });
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`The drop root ${file} (set by the --root flag) is not a folder`);
      expect(lines[0]).not.toMatch(/^error ENOTDIR/);
    },
  );
});

describe('settings the ingestor enforces (issue 12: one owner per rule)', () => {
  it('INGEST_BATCH_SIZE=500000 is a configuration error, and the largest accepted value starts the watcher', async () => {
    const ws = await workspace();
    const refused = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env({ INGEST_BATCH_SIZE: '500000' }) });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'INGEST_BATCH_SIZE (environment variable): got "500000"; allowed: a whole number from 1 to 100000.',
    );
    expect(refused.stderr).not.toContain('INGEST_OPTIONS_INVALID');

    await writeFile(join(ws.incoming, 'codes.csv'), 'code\nA\nB\n');
    const largest = await runCli(['watch', '--once'], { cwd: ws.dir, env: ws.env({ INGEST_BATCH_SIZE: '100000' }) });
    expect(largest.code, largest.stderr).toBe(0);
    expect(largest.stdout).toContain('1 archived');
  });
});
