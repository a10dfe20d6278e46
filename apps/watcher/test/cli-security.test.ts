/**
 * Issue 5 acceptance 5 and issue 6's security checks: a known secret never appears in any byte
 * the process writes (stdout, stderr/logs, --json output, NAME.error.json, the database file);
 * files and folders the app creates are not world-writable even under umask 000; config errors
 * name the setting.
 */
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliResult, EXAMPLES, runCli, workspace, writeCsv } from './helpers.js';

const SECRET = 'Kn0wn-S3cret;pw"x';
const URL_SECRET = 'Url-P4ss@word!';

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(p, ...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

function expectNoSecret(results: readonly CliResult[], secrets: readonly string[]): void {
  for (const r of results) {
    for (const s of secrets) {
      for (const form of [s, encodeURIComponent(s), JSON.stringify(s).slice(1, -1)]) {
        expect(r.stdout).not.toContain(form);
        expect(r.stderr).not.toContain(form);
      }
    }
  }
}

describe('secrets', () => {
  it('never appear in output, logs, --json, error.json or the database, at log level trace', async () => {
    const ws = await workspace();
    for (const name of await readdir(EXAMPLES)) await copyFile(join(EXAMPLES, name), join(ws.incoming, name));
    await writeCsv(join(ws.incoming, 'broken.csv'), 'code,name', ['A,"unclosed', 'B,x']);
    const env = ws.env({ db_password: SECRET, db_user: 'loader', LOG_LEVEL: 'trace' });
    const results: CliResult[] = [];
    results.push(await runCli(['init', '--json'], { cwd: ws.dir, env }));
    results.push(await runCli(['watch', '--once', '--json'], { cwd: ws.dir, env }));
    results.push(await runCli(['files', '--json'], { cwd: ws.dir, env }));
    results.push(await runCli(['show', '1', '--json'], { cwd: ws.dir, env }));
    results.push(await runCli(['health', '--json'], { cwd: ws.dir, env }));
    results.push(await runCli(['ingest', join(ws.dir, 'missing.csv')], { cwd: ws.dir, env }));

    // A SQL Server URL carrying a password, on the command line and in the environment.
    const mssql = `mssql://sa:${encodeURIComponent(URL_SECRET)}@127.0.0.1:9/refdata?encrypt=true`;
    const quick = { ...env, DB_MAX_RETRIES: '0' };
    results.push(await runCli(['--db', mssql, 'files', '--json'], { cwd: ws.dir, env: quick }));
    results.push(await runCli(['health', '--json'], { cwd: ws.dir, env: { ...quick, REFDATA_DB: mssql } }));
    results.push(await runCli(['watch', '--once'], { cwd: ws.dir, env: { ...quick, REFDATA_DB: mssql } }));
    results.push(await runCli(['--db', `mysql://sa:${URL_SECRET}@h/db`, 'files'], { cwd: ws.dir, env }));

    expect(results[1]?.code).toBe(0);
    expect(JSON.parse(results[1]?.stdout ?? '')).toMatchObject({ archived: 4, failed: 1 });
    expect(results[6]?.code).not.toBe(0);
    expect(results[7]?.code).toBe(1);
    expect(results[9]?.code).toBe(2);
    expect(results[9]?.stderr).toContain('--db (command-line flag)');
    expect(results.some((r) => r.stderr.includes('[REDACTED]'))).toBe(true);
    expectNoSecret(results, [SECRET, URL_SECRET]);

    for (const file of await allFiles(ws.dir)) {
      if ((await stat(file)).isDirectory()) continue;
      const bytes = await readFile(file);
      for (const s of [SECRET, URL_SECRET]) expect(bytes.includes(Buffer.from(s)), file).toBe(false);
    }
  });
});

describe('file modes', () => {
  it('creates nothing world-writable, even under umask 000', async () => {
    const ws = await workspace();
    await copyFile(join(EXAMPLES, 'currencies.csv'), join(ws.incoming, 'currencies.csv'));
    await writeCsv(join(ws.incoming, 'broken.csv'), 'code,name', ['A,"unclosed']);
    const db = join(ws.dir, 'data', 'refdata.db');
    const env = ws.env({ REFDATA_DB: `sqlite:${db}`, REFDATA_ROOT: join(ws.dir, 'fresh') });
    expect((await runCli(['init'], { cwd: ws.dir, env, umask: '000' })).code).toBe(0);
    await copyFile(join(ws.incoming, 'currencies.csv'), join(ws.dir, 'fresh', 'incoming', 'currencies.csv'));
    await copyFile(join(ws.incoming, 'broken.csv'), join(ws.dir, 'fresh', 'incoming', 'broken.csv'));
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env, umask: '000' })).code).toBe(0);
    expect(
      (await runCli(['export', 'currencies', '--out', 'out/c.csv'], { cwd: ws.dir, env, umask: '000' })).code,
    ).toBe(0);

    const created = [
      ...(await allFiles(join(ws.dir, 'fresh'))),
      ...(await allFiles(join(ws.dir, 'data'))),
      join(ws.dir, 'fresh'),
      join(ws.dir, 'data'),
      join(ws.dir, 'out', 'c.csv'),
    ];
    expect(created.some((f) => f.endsWith('.error.json'))).toBe(true);
    for (const f of created) {
      expect((await stat(f)).mode & 0o002, `${f} is world-writable`).toBe(0);
    }
  });
});

describe('configuration errors', () => {
  it('exit 2 before doing anything, naming each setting, its source and what is allowed', async () => {
    const ws = await workspace();
    const root = join(ws.dir, 'never-created');
    const r = await runCli(['watch', '--once'], {
      cwd: ws.dir,
      env: ws.env({ REFDATA_ROOT: root, MONITOR_INTERVAL: 'soon', DB_POOL_SIZE: '0', INGEST_BATCH_SIZE: '1.5' }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('APP_CONFIG_INVALID');
    expect(r.stderr).toContain('MONITOR_INTERVAL (environment variable): got "soon"; allowed: seconds greater than 0');
    expect(r.stderr).toContain('DB_POOL_SIZE (environment variable): got "0"; allowed: a whole number from 1 to 1000');
    expect(r.stderr).toContain('INGEST_BATCH_SIZE (environment variable): got "1.5"');
    await expect(stat(root)).rejects.toMatchObject({ code: 'ENOENT' });

    const usage = await runCli(['ingest'], { cwd: ws.dir, env: ws.env() });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'file'");
    const unknown = await runCli(['files', '--colour'], { cwd: ws.dir, env: ws.env() });
    expect(unknown.code).toBe(2);
    const help = await runCli(['watch', '--help'], { cwd: ws.dir, env: ws.env() });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--once');
  });
});
