/**
 * Issue 6 "Security", end to end through live watcher processes: known secrets never appear in
 * any byte the processes write; nothing they create is world-writable; nothing outside the root
 * is read, moved or deleted; the metrics endpoint binds 127.0.0.1 unless told otherwise; header
 * identifiers reach SQL only quoted (the db layer's identifier fuzz test covers every dialect's
 * quoting: packages/db/test/identifier-fuzz.test.ts).
 */
import { readFileSync } from 'node:fs';
import {
  lchown,
  lstat,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CliResult,
  dropFile,
  inspectSqlite,
  listNames,
  openTestDb,
  readRows,
  runCli,
  sleep,
  startCli,
  waitFor,
  workspace,
} from './harness.js';

const SECRET = 'Kn0wn-S3cret;pw"x\\y';
const URL_SECRET = 'Url-P4ss@word!';

/** Every form a secret could take in output: raw, URL-encoded, JSON-escaped, Base64, and its first and last 8 characters. */
function forms(secret: string): string[] {
  return [
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
    Buffer.from(secret).toString('base64'),
    secret.slice(0, 8),
    secret.slice(-8),
  ];
}

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(p, ...(await allFiles(p)));
    else out.push(p);
  }
  return out;
}

const csv = (...lines: string[]): Buffer => Buffer.from(`${lines.join('\n')}\n`);
/** A row short of a field on line 3: rejected, so the file fails with NAME.rejects.csv beside it. */
const RAGGED = csv('code,rate,date', 'EUR,1.0000,2025-02-01', 'USD,1.0790', 'GBP,0.8567,2025-02-01');

describe('secrets', () => {
  it('never appear in any byte written by a live watcher at trace level, its commands, or runs that cannot connect', async () => {
    const ws = await workspace('refdata-secrets-');
    const env = ws.env({ db_password: SECRET, db_user: 'loader', LOG_LEVEL: 'trace' });
    const cli = { cwd: ws.dir, env, user: ws.user };
    const results: CliResult[] = [];
    results.push(await runCli(['init', '--json'], cli));
    const watcher = startCli(['watch', '--metrics-port', '0'], { ...cli, timeoutMs: 120_000 });
    const listening = await watcher.waitForLog((l) => l.msg === 'metrics endpoint listening', 'metrics');
    const db = await openTestDb(ws);
    // Loads, failures (error.json), rejects (rejects.csv) and a hold (held.json).
    await dropFile(ws.incoming, 'currencies.csv', csv('code,name', 'ALL,Albanian lek', 'AUD,Australian dollar'));
    await dropFile(ws.incoming, 'broken.csv', csv('code,name', 'A,"unclosed', 'B,x'));
    await dropFile(ws.incoming, 'ragged.csv', RAGGED);
    await waitFor(
      async () =>
        (await db.files.list()).length === 3 &&
        (await db.files.list()).every((f) => f.status !== 'processing' && f.status !== 'claimed'),
      'three files',
    );
    await dropFile(ws.incoming, 'currencies_20250201.csv', csv('code,name'));
    await waitFor(async () => (await db.files.list({ status: 'held' })).length === 1, 'the hold');
    const metrics = await (await fetch(`${String(listening.url)}`)).text();
    const health = await (await fetch(`${String(listening.url).replace(/\/metrics$/, '')}/healthz`)).text();
    results.push({ code: 0, signal: null, stdout: metrics + health, stderr: '' });
    for (const args of [
      ['files', '--json'],
      ['show', '2', '--json'],
      ['show', '3'],
      ['health', '--json'],
      ['tables', '--json'],
      ['backups', '--json'],
      ['export', 'currencies'],
    ]) {
      results.push(await runCli(args, cli));
    }
    watcher.child.kill('SIGTERM');
    results.push(await watcher.exited);
    expect(results.at(-1)?.code).toBe(0);

    // Runs that cannot connect to SQL Server, with the password in the URL, the flag and the environment.
    const mssql = `mssql://sa:${encodeURIComponent(URL_SECRET)}@127.0.0.1:9/refdata?encrypt=true`;
    const quick = { ...env, DB_MAX_RETRIES: '0' };
    const failing = [
      await runCli(['watch'], { ...cli, env: { ...quick, REFDATA_DB: mssql } }),
      await runCli(['watch', '--once', '--json'], { ...cli, env: { ...quick, REFDATA_DB: mssql } }),
      await runCli(['--db', mssql, 'files', '--json'], { ...cli, env: quick }),
      await runCli(['health', '--json'], { ...cli, env: { ...quick, REFDATA_DB: 'mssql://sa@127.0.0.1:9/refdata' } }),
      await runCli(['watch'], {
        ...cli,
        env: { ...quick, REFDATA_DB: '', db_host: '127.0.0.1', db_name: 'refdata', db_user: 'sa' },
      }),
      await runCli(['--db', `mssql://sa:${URL_SECRET}@[bad`, 'files'], { ...cli, env: quick }),
    ];
    expect(failing.map((r) => r.code)).toEqual([4, 4, 4, 1, 4, 2]);
    expect(failing[0]?.stderr).toMatch(/DB_UNAVAILABLE.*unreachable/);
    results.push(...failing);

    const leaks: string[] = [];
    for (const [i, r] of results.entries()) {
      for (const s of [...forms(SECRET), ...forms(URL_SECRET)]) {
        if (r.stdout.includes(s)) leaks.push(`run ${i} stdout holds ${JSON.stringify(s)}`);
        if (r.stderr.includes(s)) leaks.push(`run ${i} stderr holds ${JSON.stringify(s)}`);
      }
    }
    const files = await allFiles(ws.dir);
    expect(files.some((f) => f.endsWith('.error.json'))).toBe(true);
    expect(files.some((f) => f.endsWith('.rejects.csv'))).toBe(true);
    expect(files.some((f) => f.endsWith('.held.json'))).toBe(true);
    for (const file of files) {
      if ((await lstat(file)).isDirectory()) continue;
      const bytes = await readFile(file);
      for (const s of [...forms(SECRET), ...forms(URL_SECRET)]) {
        if (bytes.includes(Buffer.from(s))) leaks.push(`${file} holds ${JSON.stringify(s)}`);
      }
    }
    expect(leaks).toEqual([]);
    // There was plenty to leak: trace-level logs, and messages that quote the URLs (masked).
    expect(results.reduce((n, r) => n + r.stderr.length, 0)).toBeGreaterThan(10_000);
    expect(failing[5]?.stderr).toContain('mssql://sa:[REDACTED]@[bad');
  });
});

describe('file modes', () => {
  it('a live watcher under umask 000 creates no world-writable file or folder (stages, sidecars, database, WAL)', async () => {
    const ws = await workspace('refdata-modes-');
    // Folders the watcher creates itself, under a parent that belongs to its user.
    const parent = join(ws.dir, 'srv');
    await mkdir(parent, { mode: 0o755 });
    await lchown(parent, ws.user.uid, ws.user.gid);
    const root = join(parent, 'fresh');
    const dbDir = join(ws.dbDir, 'nested', 'data');
    const env = ws.env({ REFDATA_ROOT: root, REFDATA_DB: `sqlite:${join(dbDir, 'refdata.db')}`, LOG_LEVEL: 'info' });
    const cli = { cwd: ws.dir, env, user: ws.user, umask: '000' };
    const watcher = startCli(['watch'], { ...cli, timeoutMs: 120_000 });
    await watcher.waitForLog((l) => l.msg === 'watcher started', 'start');
    const incoming = join(root, 'incoming');
    await dropFile(incoming, 'units.csv', csv('code,name', 'm,metre', 'kg,kilogram', 's,second'));
    await waitFor(async () => (await listNames(join(root, 'archive'))).length === 1, 'units archived');
    await dropFile(incoming, 'broken.csv', csv('code,name', 'A,"open'));
    await dropFile(incoming, 'ragged.csv', RAGGED);
    await dropFile(incoming, 'units_20250201.csv', csv('code,name'));
    await waitFor(async () => (await listNames(join(root, 'held'))).length === 2, 'the hold and its reason');
    await waitFor(async () => (await listNames(join(root, 'failed'))).length >= 5, 'two failures and their reasons');
    // Everything but the dropped files themselves (moved, not created: `NAME.<stamp>-<hash>.csv`).
    const created = [
      root,
      ...(await allFiles(root)),
      join(ws.dbDir, 'nested'),
      dbDir,
      ...(await allFiles(dbDir)),
    ].filter((f) => !/\.\d{8}T\d{6}\d*Z-[0-9a-f]+\.csv$/.test(f));
    expect(created.some((f) => f.endsWith('.held.json'))).toBe(true);
    expect(created.some((f) => f.endsWith('.rejects.csv'))).toBe(true);
    expect(created.some((f) => f.endsWith('-wal'))).toBe(true);
    const writable: string[] = [];
    for (const f of created) if (((await lstat(f)).mode & 0o002) !== 0) writable.push(f);
    expect(writable).toEqual([]);
    watcher.child.kill('SIGTERM');
    expect((await watcher.exited).code).toBe(0);
  });
});

describe('the root is a boundary', () => {
  it('never reads, moves or deletes anything outside it: links to files and folders, a symlinked stage folder', async () => {
    const ws = await workspace('refdata-boundary-');
    const cli = { cwd: ws.dir, env: ws.env({ LOG_LEVEL: 'info' }), user: ws.user };
    // Outside the root: a file, a folder with a file, each with atime older than mtime (a read would move it).
    const outsideFile = join(ws.outside, 'payroll.csv');
    const outsideDir = join(ws.outside, 'exports');
    await writeFile(outsideFile, 'employee,salary\nann,100\n', { mode: 0o644 });
    await mkdir(outsideDir);
    await writeFile(join(outsideDir, 'rates.csv'), 'code,rate\nEUR,1\n', { mode: 0o644 });
    const past = Date.now() - 3_600_000;
    for (const p of [outsideFile, join(outsideDir, 'rates.csv')])
      await utimes(p, new Date(past - 86_400_000), new Date(past));
    // The watcher's user may write there: only the code's refusal to follow links protects it.
    for (const p of [ws.outside, outsideDir, outsideFile, join(outsideDir, 'rates.csv')])
      await lchown(p, ws.user.uid, ws.user.gid);
    await utimes(outsideDir, new Date(past), new Date(past));
    const snapshot = async (): Promise<string> => {
      const out: string[] = [];
      for (const f of await allFiles(ws.outside)) {
        const st = await lstat(f);
        out.push(
          `${f} ${st.isDirectory() ? 'dir' : st.size} mtime=${st.mtimeMs} atime=${st.isDirectory() ? '' : st.atimeMs}`,
        );
      }
      return out.sort().join('\n');
    };

    // A stage folder that is a symlink to the outside: the service refuses to start.
    expect((await runCli(['init'], cli)).code).toBe(0);
    const archive = join(ws.root, 'archive');
    await rm(archive, { recursive: true });
    await symlink(ws.outside, archive);
    await dropFile(ws.incoming, 'first.csv', csv('code', 'A'));
    const before = await snapshot();
    const refused = await runCli(['watch'], { ...cli, timeoutMs: 30_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/MONITOR_STAGE_INVALID.*archive is a symlink.*nothing leaves the root/);
    expect(await listNames(ws.incoming)).toEqual(['first.csv']);
    expect(await snapshot()).toBe(before);

    // Fixed by the operator; links in incoming/ to a file and to a folder outside.
    await rm(archive);
    await mkdir(archive, { mode: 0o750 });
    await ws.handOver();
    await symlink(outsideFile, join(ws.incoming, 'payroll.csv'));
    await symlink(outsideDir, join(ws.incoming, 'exports.csv'));
    const watcher = startCli(['watch'], { ...cli, timeoutMs: 120_000 });
    await watcher.waitForLog((l) => l.msg === 'watcher started', 'start');
    const db = await openTestDb(ws);
    await waitFor(
      async () => (await db.files.list()).filter((f) => ['archived', 'failed'].includes(f.status)).length === 3,
      'three files settled',
    );
    const byName = Object.fromEntries((await db.files.list()).map((f) => [f.name, f]));
    expect(byName['first.csv']).toMatchObject({ status: 'archived' });
    for (const name of ['payroll.csv', 'exports.csv']) {
      expect(byName[name]).toMatchObject({ status: 'failed', errorCode: 'MONITOR_SYMLINK_REFUSED' });
      expect((await lstat(byName[name]?.path ?? '')).isSymbolicLink()).toBe(true);
    }
    expect(await db.describeTable('payroll')).toBeUndefined();
    expect(await db.describeTable('exports')).toBeUndefined();
    expect(await snapshot()).toBe(before);

    // A stage folder swapped for a symlink while the service runs: it pauses instead of moving files out.
    const failed = join(ws.root, 'failed');
    const parked = join(ws.dir, 'failed-parked');
    await rename(failed, parked);
    await symlink(ws.outside, failed);
    await watcher.waitForLog((l) => l.code === 'MONITOR_STAGE_INVALID', 'the symlinked failed/ to be refused');
    await dropFile(ws.incoming, 'bad.csv', csv('code,name', 'A,"open'));
    await sleep(2_000);
    expect(await listNames(ws.incoming)).toEqual(['bad.csv']);
    expect(await snapshot()).toBe(before);
    await rm(failed);
    await rename(parked, failed);
    await waitFor(
      async () => (await db.files.list()).some((f) => f.name === 'bad.csv' && f.status === 'failed'),
      'bad.csv failed',
    );
    expect(await snapshot()).toBe(before);
    // Read last (reading moves the atime the snapshots compare).
    expect(readFileSync(outsideFile, 'utf8')).toBe('employee,salary\nann,100\n');
    expect(watcher.alive()).toBe(true);
    watcher.child.kill('SIGTERM');
    expect((await watcher.exited).code).toBe(0);
  });
});

/** Local addresses listening on `port` (from /proc/net/tcp and tcp6), e.g. `127.0.0.1`, `0.0.0.0`. */
function listeners(port: number): string[] {
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local === undefined || state !== '0A') continue;
      const [hex, portHex] = local.split(':');
      if (Number.parseInt(portHex ?? '', 16) !== port || hex === undefined) continue;
      if (hex.length === 8)
        out.push(
          (hex.match(/../g) ?? [])
            .reverse()
            .map((b) => Number.parseInt(b, 16))
            .join('.'),
        );
      else out.push(/^0+$/.test(hex) ? '::' : hex.endsWith('0100007F') ? '::ffff:127.0.0.1' : hex);
    }
  }
  return out;
}

describe('the metrics endpoint', () => {
  it('binds 127.0.0.1 by default (not reachable on other addresses) and 0.0.0.0 only when configured', async () => {
    const ws = await workspace('refdata-metrics-');
    const cli = { cwd: ws.dir, env: ws.env({ LOG_LEVEL: 'info' }), user: ws.user };
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;

    const local = startCli(['watch', '--metrics-port', '0'], { ...cli, timeoutMs: 60_000 });
    const a = await local.waitForLog((l) => l.msg === 'metrics endpoint listening', 'metrics');
    const portA = Number(a.port);
    expect(String(a.url)).toBe(`http://127.0.0.1:${portA}/metrics`);
    expect(listeners(portA)).toEqual(['127.0.0.1']);
    expect((await fetch(`http://127.0.0.1:${portA}/metrics`)).status).toBe(200);
    if (external !== undefined) {
      await expect(fetch(`http://${external}:${portA}/metrics`)).rejects.toThrow();
    }
    local.child.kill('SIGTERM');
    expect((await local.exited).code).toBe(0);

    const open = startCli(['watch', '--metrics-port', '0', '--metrics-host', '0.0.0.0'], { ...cli, timeoutMs: 60_000 });
    const b = await open.waitForLog((l) => l.msg === 'metrics endpoint listening', 'metrics');
    const portB = Number(b.port);
    expect(listeners(portB)).toEqual(['0.0.0.0']);
    if (external !== undefined) expect((await fetch(`http://${external}:${portB}/healthz`)).status).toBe(200);
    open.child.kill('SIGTERM');
    expect((await open.exited).code).toBe(0);
  });
});

describe('header identifiers', () => {
  it('reach SQL only quoted: hostile names load as columns named exactly that, and every metadata table is intact', async () => {
    const ws = await workspace('refdata-identifiers-');
    const cli = { cwd: ws.dir, env: ws.env({ LOG_LEVEL: 'info' }), user: ws.user };
    expect((await runCli(['init'], cli)).code).toBe(0);
    const hostile = [
      'a"; DROP TABLE "refdata.files"; --',
      'b\'); DELETE FROM "refdata.audit"; --',
      'c] ; DROP TABLE [refdata].[files]; --',
      'd` ; DROP TABLE `bkp.catalogue`; --',
      'e /* comment */ OR 1=1',
      "g; ATTACH DATABASE '/tmp/x' AS x; --",
    ];
    const header = ['id', ...hostile].map((h) => `"${h.replaceAll('"', '""')}"`).join(',');
    const watcher = startCli(['watch'], { ...cli, timeoutMs: 120_000 });
    await watcher.waitForLog((l) => l.msg === 'watcher started', 'start');
    const db = await openTestDb(ws);
    await dropFile(ws.incoming, 'first.csv', csv('code', 'A'));
    await waitFor(async () => (await db.files.list({ status: 'archived' })).length === 1, 'first.csv');
    const before = inspectSqlite(ws.dbPath).tables;
    await dropFile(
      ws.incoming,
      'hostile.csv',
      Buffer.from(`${header}\n1,${hostile.map((_, i) => `v${i}`).join(',')}\n`),
    );
    await waitFor(async () => (await db.files.list({ status: 'archived' })).length === 2, 'hostile.csv');
    expect((await db.describeTable('hostile'))?.columns.map((c) => c.name)).toEqual(['id', ...hostile]);
    expect(await readRows(db, 'hostile')).toEqual([[1, ...hostile.map((_, i) => `v${i}`)]]);
    const after = inspectSqlite(ws.dbPath);
    expect(after.integrity).toBe('ok');
    expect(after.tables.sort()).toEqual([...before, 'ref.hostile'].sort());
    expect(after.tables).toEqual(
      expect.arrayContaining(['refdata.files', 'refdata.audit', 'refdata.rejects', 'bkp.catalogue']),
    );
    const files = await db.files.list();
    expect(files.map((f) => [f.name, f.status]).sort()).toEqual([
      ['first.csv', 'archived'],
      ['hostile.csv', 'archived'],
    ]);
    for (const f of files) expect((await db.listAudit(f.id)).length).toBeGreaterThan(0);
    watcher.child.kill('SIGTERM');
    expect((await watcher.exited).code).toBe(0);
    await stat(ws.dbPath);
  });
});
