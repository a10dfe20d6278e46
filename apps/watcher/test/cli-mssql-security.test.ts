/**
 * Security on the live SQL Server engine (Babelfish; REFDATA_TEST_MSSQL): the least-privilege
 * login of `refdata init --print-sql` migrates, loads, exports and restores, and is refused in
 * dbo; `health` names the statement a missing permission needs; a password rotated on the server
 * and in DB_PASSWORD_FILE while the watcher runs takes effect without a restart, and neither
 * password appears in any output. Each test gets its own database and logins.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectMssqlAdmin, mssqlUrlWith } from '@refdata/test-utils/mssql';
import { describe, expect, it, onTestFinished } from 'vitest';
import { listNames, runCli, sleep, startCli, waitFor, workspace, writeCsv } from './helpers.js';

const ADMIN_URL = process.env.REFDATA_TEST_MSSQL ?? '';

/** A fresh database, a login owning its schemas per docs/least-privilege.sql, and its password file. */
async function leastPrivilegeDatabase(dir: string, password: string) {
  const id = randomBytes(4).toString('hex');
  const database = `refdata_sec_${id}`;
  const login = `refdata_loader_${id}`;
  const admin = await connectMssqlAdmin(ADMIN_URL);
  await admin.query(`CREATE DATABASE [${database}]`);
  await admin.query(`CREATE LOGIN [${login}] WITH PASSWORD = '${password}'`);
  const inDb = await connectMssqlAdmin(ADMIN_URL, { database });
  onTestFinished(async () => {
    inDb.close();
    await admin.query(`DROP DATABASE [${database}]`).catch(() => undefined);
    await admin.query(`DROP LOGIN [${login}]`).catch(() => undefined);
    admin.close();
  });
  // The script as shipped, its placeholders filled in, statement by statement.
  const script = (await runCli(['init', '--print-sql', '--login', login], { cwd: dir, env: {} })).stdout;
  const statements = script
    .split('\n')
    .filter(
      (l) => l !== '' && l !== 'GO' && !l.startsWith('--') && !l.startsWith('USE ') && !l.startsWith('CREATE LOGIN'),
    );
  const refused: Record<string, string> = {};
  for (const sql of statements) {
    try {
      await inDb.query(sql);
    } catch (err) {
      refused[sql] = (err as Error).message;
    }
  }
  const passwordFile = join(dir, 'db_password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  const url = `mssql://${login}@${new URL(ADMIN_URL).host}/${database}?encrypt=false`;
  return { database, login, url, passwordFile, refused, admin, inDb };
}

describe.skipIf(ADMIN_URL === '')('SQL Server security, live', () => {
  it('runs watch → archive → export → restore as a login that only owns its schemas, and is refused in dbo', async () => {
    const ws = await workspace();
    const lp = await leastPrivilegeDatabase(ws.dir, 'Loader-Pass-1a');
    // Babelfish refuses the one database-level GRANT of the script; owning the schemas suffices there.
    expect(lp.refused).toEqual({
      [`GRANT CREATE TABLE TO [${lp.login}];`]: "'GRANT Database' is not currently supported in Babelfish",
    });
    const env = ws.env({ REFDATA_DB: lp.url, DB_PASSWORD_FILE: lp.passwordFile });

    const init = await runCli(['init'], { cwd: ws.dir, env });
    expect(init.code, init.stderr).toBe(0);
    const health = await runCli(['health', '--json'], { cwd: ws.dir, env });
    expect(health.code, health.stdout).toBe(0);
    const loader = await connectMssqlAdmin(lp.url, { password: 'Loader-Pass-1a' });
    onTestFinished(() => loader.close());
    expect(await loader.query("SELECT IS_MEMBER('db_owner') AS o, IS_SRVROLEMEMBER('sysadmin') AS s")).toEqual([
      { o: 0, s: 0 },
    ]);
    await expect(loader.query('CREATE TABLE dbo.intruder (a INT)')).rejects.toThrow(/permission denied/);

    await writeCsv(join(ws.incoming, 'currencies.csv'), 'code,name', ['EUR,Euro', 'USD,Dollar']);
    const watch = await runCli(['watch', '--once'], { cwd: ws.dir, env });
    expect(watch.code, watch.stdout + watch.stderr).toBe(0);
    expect(await listNames(join(ws.root, 'archive')), watch.stdout).toHaveLength(1);
    const exported = await runCli(['export', 'ref.currencies'], { cwd: ws.dir, env });
    expect(exported.stdout).toBe('code,name\nEUR,Euro\nUSD,Dollar\n');
    await writeCsv(join(ws.incoming, 'currencies.csv'), 'code,name', ['EUR,Euro', 'USD,US Dollar']);
    expect((await runCli(['watch', '--once'], { cwd: ws.dir, env })).code).toBe(0);
    const backups = JSON.parse((await runCli(['backups', 'currencies', '--json'], { cwd: ws.dir, env })).stdout) as {
      snapshot: string;
    }[];
    expect(backups).toHaveLength(1);
    const restore = await runCli(['restore', 'currencies', backups[0]?.snapshot ?? ''], { cwd: ws.dir, env });
    expect(restore.code, restore.stderr).toBe(0);
    expect((await runCli(['export', 'ref.currencies'], { cwd: ws.dir, env })).stdout).toBe(
      'code,name\nEUR,Euro\nUSD,Dollar\n',
    );

    // A hostile table name cannot reach dbo or another schema: it is one name, in ref.
    await writeCsv(join(ws.dir, 'evil.csv'), 'a', ['1']);
    const hostile = await runCli(['ingest', join(ws.dir, 'evil.csv'), '--table', 'dbo].[evil'], { cwd: ws.dir, env });
    expect(hostile.code, hostile.stderr).toBe(0);
    const inDbo = await lp.inDb.query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM sys.tables WHERE schema_id = SCHEMA_ID('dbo')",
    );
    expect(inDbo).toEqual([{ n: 0 }]);
    const inRef = await lp.inDb.query<{ name: string }>(
      "SELECT name FROM sys.tables WHERE schema_id = SCHEMA_ID('ref') AND name LIKE 'dbo%'",
    );
    expect(inRef).toEqual([{ name: 'dbo].[evil' }]);
  });

  it('health names the statement that grants a missing permission', async () => {
    const ws = await workspace();
    const lp = await leastPrivilegeDatabase(ws.dir, 'Loader-Pass-2b');
    const env = ws.env({ REFDATA_DB: lp.url, DB_PASSWORD_FILE: lp.passwordFile });
    expect((await runCli(['init'], { cwd: ws.dir, env })).code).toBe(0);
    // Another user, no schemas of its own.
    const other = `refdata_other_${randomBytes(3).toString('hex')}`;
    await lp.admin.query(`CREATE LOGIN [${other}] WITH PASSWORD = 'Other-Pass-3c'`);
    onTestFinished(async () => {
      await lp.admin.query(`DROP LOGIN [${other}]`).catch(() => undefined);
    });
    await lp.inDb.query(`CREATE USER [${other}] FOR LOGIN [${other}]`);
    const otherFile = join(ws.dir, 'other_password');
    await writeFile(otherFile, 'Other-Pass-3c', { mode: 0o600 });
    const health = await runCli(['health'], {
      cwd: ws.dir,
      env: ws.env({ REFDATA_DB: mssqlUrlWith(lp.url, { user: other }), DB_PASSWORD_FILE: otherFile }),
    });
    expect(health.code).toBe(1);
    expect(health.stdout).toContain(`ALTER AUTHORIZATION ON SCHEMA::[ref] TO [${other}];`);
    expect(health.stdout).toContain('permissions are missing');
  });

  it('takes a password rotated on the server and in DB_PASSWORD_FILE while the watcher runs; neither password is ever printed', async () => {
    const ws = await workspace();
    const first = 'Rotate-First-7x';
    const second = 'Rotate-Second-8y';
    const lp = await leastPrivilegeDatabase(ws.dir, first);
    const env = ws.env({ REFDATA_DB: lp.url, DB_PASSWORD_FILE: lp.passwordFile, LOG_LEVEL: 'debug' });
    expect((await runCli(['init'], { cwd: ws.dir, env })).code).toBe(0);
    const watcher = startCli(['watch'], { cwd: ws.dir, env });
    await writeCsv(join(ws.incoming, 'a.csv'), 'code', ['A1', 'A2']);
    await waitFor(async () => (await listNames(join(ws.root, 'archive'))).length === 1, 60_000, 'a.csv archived');

    // Rotate: the server first, then the file (written whole, then renamed over the old one).
    await lp.admin.query(`ALTER LOGIN [${lp.login}] WITH PASSWORD = '${second}'`);
    await writeFile(`${lp.passwordFile}.new`, `${second}\n`, { mode: 0o600 });
    await rename(`${lp.passwordFile}.new`, lp.passwordFile);
    const opened = (): number => (watcher.stderr().match(/SQL Server connection opened/g) ?? []).length;
    const before = opened();
    // Idle connections are closed after 30 s; the next files need new ones, logged in with the new password.
    await sleep(32_000);
    await writeCsv(join(ws.incoming, 'b.csv'), 'code', ['B1']);
    await writeCsv(join(ws.incoming, 'c.csv'), 'code', ['C1']);
    await waitFor(
      async () => (await listNames(join(ws.root, 'archive'))).length === 3,
      60_000,
      'b.csv, c.csv archived',
    );
    expect(opened()).toBeGreaterThan(before);
    expect(await listNames(join(ws.root, 'failed'))).toEqual([]);
    watcher.child.kill('SIGTERM');
    const done = await watcher.exited;
    expect(done.code).toBe(0);

    // The old password is refused now; the CLI, reading the file, gets in.
    await expect(connectMssqlAdmin(lp.url, { password: first })).rejects.toThrow(/Login failed|password/i);
    const files = await runCli(['files', '--json'], { cwd: ws.dir, env });
    expect(files.code).toBe(0);
    expect(JSON.parse(files.stdout)).toHaveLength(3);
    // A wrong password in the file: a clear error, no password in it.
    await writeFile(lp.passwordFile, 'Wrong-Pass-9z', { mode: 0o600 });
    const refused = await runCli(['files'], { cwd: ws.dir, env: { ...env, DB_MAX_RETRIES: '0' } });
    expect(refused.code).toBe(4);

    const everything = [done.stdout, done.stderr, files.stdout, files.stderr, refused.stdout, refused.stderr].join(
      '\n',
    );
    for (const name of await listNames(join(ws.root, 'archive')))
      everything.concat(await readFile(join(ws.root, 'archive', name), 'utf8'));
    for (const secret of [first, second, 'Wrong-Pass-9z']) expect(everything).not.toContain(secret);
  });
});
